"""Serves the merchant API's OpenAPI document.

The document is generated from the routes of every function (``make openapi``) and shipped in
the shared layer; a test fails when the shipped copy differs from what the code generates.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

_DOCUMENT = files("clientele.http").joinpath("openapi.json").read_text(encoding="utf-8")


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "Cache-Control": "public, max-age=300"},
        "body": _DOCUMENT,
    }
