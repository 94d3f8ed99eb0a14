"""The HTTP API: FastAPI routes, thin over the :class:`~tokenradar.service.Radar` and
:class:`~tokenradar.service.serve.Service` facades.

``create_app(service, settings)`` builds the app; ``tokenradar serve`` runs it
with uvicorn in the service's own event loop (:mod:`tokenradar.api.server`).
The OpenAPI document is generated and served at ``/openapi.json``; the routes,
auth and limits are described in ``docs/api.md``.
"""

from tokenradar.api.app import create_app

__all__ = ["create_app"]
