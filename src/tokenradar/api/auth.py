"""API keys: who is calling, and may they.

A key is presented as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.
Settings hold only its SHA-256; the presented key is hashed and compared with
every configured hash by :func:`hmac.compare_digest` (all of them, so the time
taken says nothing about which matched). Mutating routes need an ``admin`` key;
reads need a key only when ``[api] require_key_for_reads`` is set.

No key where one is needed, or an unknown key: 401. A ``read`` key on an admin
route: 403.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from tokenradar.api.errors import ApiError
from tokenradar.settings import ApiRole, ApiSettings


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a request is from: a named key, or an anonymous client address."""

    name: str  # the key's name, or "anon:<address>"
    role: ApiRole | None  # None: no key

    @property
    def bucket(self) -> str:
        return self.name


def presented_key(conn: HTTPConnection) -> str | None:
    auth = conn.headers.get("authorization")
    if auth is not None:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    key = conn.headers.get("x-api-key")
    return key.strip() if key and key.strip() else None


class KeyRing:
    def __init__(self, settings: ApiSettings) -> None:
        self._keys = [(bytes.fromhex(k.sha256), k.name, k.role) for k in settings.keys]
        self.require_for_reads = settings.require_key_for_reads

    def identify(self, conn: HTTPConnection) -> Caller:
        """The caller; raises 401 for a key that matches none configured."""
        key = presented_key(conn)
        if key is None:
            host = conn.client.host if conn.client is not None else "unknown"
            return Caller(f"anon:{host}", None)
        digest = hashlib.sha256(key.encode("utf-8")).digest()
        found: Caller | None = None
        for stored, name, role in self._keys:
            # no early exit: every hash is compared whatever matched
            if hmac.compare_digest(digest, stored):
                found = Caller(name, role)
        if found is None:
            raise ApiError(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})
        return found

    def authorize(self, caller: Caller, needed: ApiRole) -> None:
        if needed is ApiRole.READ and not self.require_for_reads:
            return
        if caller.role is None:
            raise ApiError(
                401,
                f"this route needs an API key with role {needed.value} "
                "(Authorization: Bearer <key> or X-API-Key)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if needed is ApiRole.ADMIN and caller.role is not ApiRole.ADMIN:
            raise ApiError(403, f"key {caller.name!r} has role {caller.role.value}; needs admin")
