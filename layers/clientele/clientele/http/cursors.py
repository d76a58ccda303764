"""Every list route's cursor, sealed: encrypted and authenticated (``kernel.crypto.seal``, the directory's
mechanism) and bound to the merchant, the route (its pattern and path parameters) and the query (every
parameter but the cursor and the page size). A cursor reveals no table key, and any alteration, or a
cursor of another merchant, route or query, is a 400 ``INVALID_CURSOR``, never a 500."""

from __future__ import annotations

import json
from typing import Any

from clientele.kernel import crypto
from clientele.kernel.errors import BadRequest
from clientele.kernel.permissions import Principal

PURPOSE = "list-cursor"
_UNBOUND = frozenset({"cursor", "limit"})


def _context(event: Any, principal: Principal) -> str:
    query = {k: v for k, v in sorted((event.query_string_parameters or {}).items()) if k not in _UNBOUND}
    path = dict(sorted((event.path_parameters or {}).items()))
    route = event.get("routeKey") or ""
    return json.dumps([principal.merchant_id, route, path, query], separators=(",", ":"))


def _secret() -> bytes:
    from clientele.platform.secrets import app_secret

    return app_secret()


def seal(event: Any, principal: Principal, cursor: str | None) -> str | None:
    """The opaque cursor the client sees for the storage's ``cursor`` (``None`` stays ``None``)."""
    if not cursor:
        return None
    return crypto.seal(_secret(), PURPOSE, cursor.encode(), _context(event, principal))


def open_(event: Any, principal: Principal, cursor: str | None) -> str | None:
    """The storage's cursor inside a client's ``cursor``, or a 400 if it was not sealed for this very list."""
    if not cursor:
        return None
    payload = crypto.unseal(_secret(), PURPOSE, cursor, _context(event, principal))
    if payload is None:
        raise BadRequest("The cursor is not valid for this list.", field="cursor", code="INVALID_CURSOR")
    try:
        return payload.decode()
    except UnicodeDecodeError as exc:
        raise BadRequest("The cursor is not valid for this list.", field="cursor", code="INVALID_CURSOR") from exc
