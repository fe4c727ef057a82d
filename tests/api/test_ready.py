"""/health, /ready and /metrics are one router, included by the factory."""

from __future__ import annotations

from fastapi.routing import APIRoute

from api.routes import operations


class TestOperationsRouter:
    def test_health_ready_and_metrics_come_from_the_operations_router(self, app):
        paths = {route.path for route in operations.router.routes if isinstance(route, APIRoute)}
        assert paths == {"/health", "/ready", "/metrics"}
        assert operations.router in app.state.api_routers
        documented = app.openapi()["paths"]
        assert all(documented[path]["get"]["tags"] == ["operations"] for path in paths)
