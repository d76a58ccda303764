"""The application secret (link signing, keyed hashes), read once per cold start.

Read through Powertools Parameters from Secrets Manager and cached for the life of the
container; rotation takes effect as containers recycle.
"""

from __future__ import annotations

from functools import lru_cache

from clientele.platform.config import get_config


@lru_cache(maxsize=1)
def app_secret() -> bytes:
    from aws_lambda_powertools.utilities import parameters

    from clientele.platform.aws import client

    arn = get_config().app_secret_arn
    if not arn:
        raise RuntimeError("APP_SECRET_ARN is not configured")
    provider = parameters.SecretsProvider(boto3_client=client("secretsmanager"))
    value = provider.get(arn, max_age=86_400)
    return str(value).encode()
