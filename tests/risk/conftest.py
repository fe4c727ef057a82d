"""A database of the risk tests' own: the worker scores (and freezes) everything it finds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ai_worker.worker import RiskWorker
from api.config import DatabaseAddress, Settings, get_settings
from tests.support.ledger import connected, scratch_database


@pytest.fixture
def risk_db(admin_url: str) -> Iterator[DatabaseAddress]:
    """A freshly migrated database (admin address), dropped afterwards."""
    with scratch_database(admin_url, "risk") as address:
        yield address


@pytest.fixture
def risk_admin(risk_db: DatabaseAddress) -> Iterator[Any]:
    yield from connected(risk_db)


@pytest.fixture
def worker_settings(tmp_path: Path) -> Settings:
    return get_settings().model_copy(update={"worker_model_dir": tmp_path / "models",
                                             "worker_sweep_seconds": 0.5})


@pytest.fixture
def worker_address(risk_db: DatabaseAddress) -> DatabaseAddress:
    return risk_db.as_role("bank_worker", get_settings().worker_db_password)


@pytest.fixture
def make_worker(worker_settings: Settings, worker_address: DatabaseAddress
                ) -> Iterator[Any]:
    made: list[RiskWorker] = []

    def make(batch_size: int = 500, **overrides: Any) -> RiskWorker:
        settings = worker_settings.model_copy(update=overrides)
        worker = RiskWorker(settings, worker_address, batch_size=batch_size)
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.close()
