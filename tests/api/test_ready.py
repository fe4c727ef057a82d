"""/ready reads the applied versions by name; the operations routes are one router."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute

from api.main import create_app
from api.routes import operations
from tests.support.app import client_for, make_settings, running


class TestSchemaStatus:
    def test_returns_the_applied_versions_by_name(self, bank_app_conn: Any, api_settings):
        with bank_app_conn.cursor() as cur:
            cur.execute("CALL sp_schema_status()")
            columns = [column[0] for column in cur.description]
            rows = cur.fetchall()
            while cur.nextset():
                pass
        assert columns == ["version", "applied_at"]
        on_disk = sorted(p.name for p in api_settings.schema_dir.glob("[0-9]*_*.sql"))
        assert sorted(row["version"] for row in rows) == on_disk

    async def test_ready_names_a_schema_file_not_applied_yet(
            self, admin_url: str, database: str, tmp_path: Path):
        schema = tmp_path / "schema"
        shutil.copytree(make_settings(admin_url, database).schema_dir, schema)
        (schema / "99_not_applied.sql").write_text("SELECT 1;\n")
        (schema / "notes.sql").write_text("-- not a versioned schema file\n")
        app = create_app(make_settings(admin_url, database, schema_dir=schema))
        async with running(app), client_for(app) as client:
            response = await client.get("/ready")
        assert response.status_code == 503, response.text
        migrations = response.json()["details"]
        assert migrations["pending"] == ["99_not_applied.sql"]
        assert migrations["applied"] == migrations["expected"] - 1 >= 5


class TestOperationsRouter:
    def test_health_ready_and_metrics_come_from_the_operations_router(self, app):
        paths = {route.path for route in operations.router.routes if isinstance(route, APIRoute)}
        assert paths == {"/health", "/ready", "/metrics"}
        assert operations.router in app.state.api_routers
        documented = app.openapi()["paths"]
        assert all(documented[path]["get"]["tags"] == ["operations"] for path in paths)
