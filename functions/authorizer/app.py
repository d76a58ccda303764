"""API Gateway REQUEST authorizer (payload 2.0, simple responses) for the merchant API.

One read per uncached key: the hashed key's look-up item, which carries the merchant, the role,
the sites and a snapshot of the account (terms accepted, country, locale).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.account.wiring import merchants
from clientele.kernel.crypto import api_key_hash
from clientele.platform.observability import logger

# An unknown key is let through *without* an identity rather than denied: HTTP APIs answer a
# deny with a bare 403, while the spec wants 401 in its error shape, which the handler then gives
# (clientele.http.app.principal). Routes never act without the identity.
ANONYMOUS: dict[str, Any] = {"isAuthorized": True, "context": {"authenticated": False}}


def _bearer(event: dict[str, Any]) -> str | None:
    sources = event.get("identitySource") or []
    header = sources[0] if sources else (event.get("headers") or {}).get("authorization")
    if not header or not isinstance(header, str):
        return None
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    secret = _bearer(event)
    if secret is None or len(secret) > 200:
        return ANONYMOUS
    principal = merchants().principal_for(api_key_hash(secret))
    if principal is None:
        logger.info("api key refused")
        return ANONYMOUS
    logger.append_keys(merchant_id=principal.merchant_id, key_id=principal.key_id)
    return {
        "isAuthorized": True,
        "context": {
            "authenticated": True,
            "merchant_id": principal.merchant_id,
            "key_id": principal.key_id,
            "role": principal.role.value,
            "site_ids": json.dumps(principal.site_ids) if principal.site_ids is not None else "",
            "terms_accepted": principal.terms_accepted,
            "country": principal.country,
            "locale": principal.locale,
        },
    }
