"""Versioned models on disk (joblib), each logged in risk_models with its window and features.

A model file holds the model object with its kind, version, feature list and training
window. Workers sharing a model directory share models: the newest row of a kind in
risk_models whose file is readable is the one to use.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib

from scripts.db_connection import tuple_cursor


@dataclass(frozen=True)
class Saved:
    """A model as stored: what it is and what it was trained on."""

    kind: str  # 'forest' | 'supervised'
    version: str
    features: tuple[str, ...]
    window_from: datetime | None
    window_to: datetime | None
    rows: int  # transactions it was trained on
    model: Any


class ModelStore:
    """Saves and finds the worker's models in one directory, logged in the database."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def save(self, conn: Any, kind: str, model: Any, *, features: tuple[str, ...],
             window_from: datetime | None, window_to: datetime | None, rows: int,
             fraud_labels: int | None, metrics: dict[str, float]) -> Saved:
        """Write the model file, then log it (sp_record_risk_model); returns it as saved."""
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        version = f"{kind}-{stamp}-{os.getpid()}"
        saved = Saved(kind, version, features, window_from, window_to, rows, model)
        path = self.directory / f"{version}.joblib"
        partial = path.with_suffix(".partial")
        joblib.dump(saved, partial)
        partial.replace(path)  # a reader never sees half a file
        with tuple_cursor(conn) as cur:
            cur.execute("CALL sp_record_risk_model(%s, %s, %s, %s, %s, %s, %s, %s, %s)", (
                version, kind, window_from, window_to, rows, fraud_labels,
                json.dumps(list(features)), str(path), json.dumps(metrics)))
        return saved

    def latest(self, conn: Any, kind: str) -> Saved | None:
        """The newest logged model of `kind` whose file this directory holds."""
        with tuple_cursor(conn) as cur:
            cur.execute("SELECT version FROM risk_models WHERE kind = %s"
                        " ORDER BY trained_at DESC, version DESC LIMIT 20", (kind,))
            versions = [str(row[0]) for row in cur.fetchall()]
        for version in versions:
            loaded = self.load(version)
            if loaded is not None:
                return loaded
        return None

    def load(self, version: str) -> Saved | None:
        path = self.directory / f"{version}.joblib"
        if not path.is_file():
            return None
        saved = joblib.load(path)
        return saved if isinstance(saved, Saved) else None
