"""The risk worker: scores every posted transaction in batches (python -m ai_worker)."""
