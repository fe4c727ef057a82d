"""Thin async HTTP layer over the ledger's stored procedures."""
