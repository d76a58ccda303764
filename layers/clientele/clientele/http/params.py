"""The parameters every API function declares alike, and the error statuses most operations can answer."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from clientele.http.errors import responses

ERRORS = responses(400, 401, 403, 404, 413, 415, 422)
PathId = Annotated[str, Path(min_length=1, max_length=64)]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size, 1-100.")]
Cursor = Annotated[str | None, Query(max_length=2048, description="Opaque cursor from the previous page.")]
