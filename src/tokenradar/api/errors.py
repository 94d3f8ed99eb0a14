"""The one error body every route answers with, and the handlers that build it.

Every non-2xx answer is an :class:`ErrorBody`: ``error`` is a stable word a
client can branch on, ``detail`` a sentence for a person, ``fields`` names each
invalid input (``body.tokens.3``, ``query.limit``, ``path.address``) with why.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException


class FieldError(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str  # where: "query.limit", "body.tokens.3", "path.address"
    reason: str


class ErrorBody(BaseModel):
    model_config = ConfigDict(frozen=True)

    error: str  # unauthorized | forbidden | not_found | invalid | too_large | rate_limited | ...
    detail: str
    fields: list[FieldError] = []


#: the ``error`` word of each status the API answers with
ERROR_WORDS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}


class ApiError(StarletteHTTPException):
    """An answer other than 2xx, raised by a route or a dependency."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        fields: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, detail, headers)
        self.fields = fields or []


def error_response(
    status: int,
    detail: str,
    fields: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=ERROR_WORDS.get(status, "error"), detail=detail, fields=fields or [])
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc)


def validation_fields(errors: list[Any]) -> list[FieldError]:
    out = []
    for e in errors:
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        out.append(FieldError(field=_loc(e.get("loc", ())), reason=msg))
    return out


def install_handlers(app: FastAPI) -> None:
    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        fields = exc.fields if isinstance(exc, ApiError) else []
        headers = dict(exc.headers) if exc.headers else None
        return error_response(exc.status_code, str(exc.detail), fields, headers)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        fields = validation_fields(list(exc.errors()))
        named = ", ".join(f.field for f in fields[:5])
        return error_response(422, f"invalid input: {named}", fields)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route: each status with the error model."""
    return {
        s: {"model": ErrorBody, "description": ERROR_WORDS.get(s, "error").replace("_", " ")}
        for s in statuses
    }
