"""The OpenAPI document is complete: every route, with its response and error models."""

from __future__ import annotations

from pathlib import Path

from api.conftest import api_settings
from tokenradar.api import create_app
from tokenradar.service.serve import Service

ROUTES = {
    ("get", "/api/v1/tokens"),
    ("get", "/api/v1/tokens/{chain}/{address}"),
    ("get", "/api/v1/tokens/{chain}/{address}/history"),
    ("post", "/api/v1/scans"),
    ("get", "/api/v1/scans/{scan_id}"),
    ("get", "/api/v1/scans/{scan_id}/events"),
    ("get", "/api/v1/stream"),
    ("get", "/api/v1/watchlist"),
    ("post", "/api/v1/watchlist"),
    ("delete", "/api/v1/watchlist"),
    ("get", "/api/v1/stats"),
    ("get", "/health/live"),
    ("get", "/health/ready"),
    ("get", "/health"),
    ("get", "/metrics"),
}
STREAMS = {"/api/v1/stream", "/api/v1/scans/{scan_id}/events", "/metrics"}


def test_the_openapi_lists_every_route_with_its_response_and_error_models(
    tmp_path: Path,
) -> None:
    settings = api_settings(tmp_path)
    doc = create_app(Service(settings), settings).openapi()
    listed = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert listed == ROUTES
    schemas = doc["components"]["schemas"]
    assert "ErrorBody" in schemas
    for method, path in ROUTES:
        op = doc["paths"][path][method]
        ok = op["responses"].get("200") or op["responses"].get("202")
        assert ok is not None, (method, path)
        content = ok["content"]
        if path in STREAMS:
            assert set(content) & {"text/event-stream", "text/plain"}, path
        else:
            ref = content["application/json"]["schema"]["$ref"]
            assert ref.split("/")[-1] in schemas, (method, path)
        for status, answer in op["responses"].items():
            if status.startswith(("4", "5")) and "application/json" in answer.get("content", {}):
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith(("/ErrorBody", "/Readiness")), (method, path, status)
        for param in op.get("parameters", []):
            assert "schema" in param, (method, path, param["name"])
    assert "401" in doc["paths"]["/api/v1/scans"]["post"]["responses"]
    assert "413" in doc["paths"]["/api/v1/scans"]["post"]["responses"]
