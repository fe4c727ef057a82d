"""Benchmarks: they print tables; the README's performance section records their results."""
