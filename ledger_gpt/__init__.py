"""LedgerGPT: auditors ask in English; the ledger answers with one checked, read-only SELECT."""
