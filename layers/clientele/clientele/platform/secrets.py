"""The application secret (link signing, keyed hashes), read once per cold start, and the link signer.

Read through Powertools Parameters from Secrets Manager and cached for the life of the container; a new
value takes effect as containers recycle. The value is one key (a plain string), or, to rotate the signing
key without breaking printed QR codes and old emails' links, a JSON document
``{"keys": ["<newest>", ..., "<original>"]}``: links are signed with the newest key and accepted when any
listed key signed them. Keyed hashes of emails and phones always use the original (last) key, because
the hashes already stored in the tables were made with it.
"""

from __future__ import annotations

import json

from clientele.kernel.links import LinkSigner
from clientele.platform.config import LinkSettings, settings
from clientele.platform.providers import provider


def parse_keys(value: str) -> list[bytes]:
    """The keys held by the secret's value, newest first (see the module docstring)."""
    text = value.strip()
    if text.startswith("{"):
        try:
            keys = json.loads(text)["keys"]
        except (ValueError, KeyError, TypeError) as exc:
            raise RuntimeError('the application secret is JSON but not {"keys": [...]}') from exc
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
            raise RuntimeError('the application secret\'s "keys" must be a non-empty list of strings')
        return [k.encode() for k in keys]
    return [value.encode()]


@provider
def secret_keys() -> list[bytes]:
    from aws_lambda_powertools.utilities import parameters

    from clientele.platform.aws import client

    arn = settings(LinkSettings).app_secret_arn
    if not arn:
        raise RuntimeError("APP_SECRET_ARN is not configured")
    provider = parameters.SecretsProvider(boto3_client=client("secretsmanager"))
    return parse_keys(str(provider.get(arn, max_age=86_400)))


def app_secret() -> bytes:
    """The key of keyed hashes (emails, phones, networks): the original key, stable across rotations."""
    return secret_keys()[-1]


@provider
def link_signer() -> LinkSigner:
    """Signs and checks every public link, and builds their URLs on the public base URL."""
    from clientele.platform.public_url import public_base_url

    return LinkSigner(secret_keys(), public_base_url)
