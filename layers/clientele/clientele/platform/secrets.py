"""The application secret (link signing, keyed hashes), read once per cold start, and the link signer.

Read through Powertools Parameters from Secrets Manager and cached for the life of the
container; rotation takes effect as containers recycle.
"""

from __future__ import annotations

from clientele.kernel.links import LinkSigner
from clientele.platform.config import LinkSettings, settings
from clientele.platform.providers import provider


@provider
def app_secret() -> bytes:
    from aws_lambda_powertools.utilities import parameters

    from clientele.platform.aws import client

    arn = settings(LinkSettings).app_secret_arn
    if not arn:
        raise RuntimeError("APP_SECRET_ARN is not configured")
    provider = parameters.SecretsProvider(boto3_client=client("secretsmanager"))
    value = provider.get(arn, max_age=86_400)
    return str(value).encode()


@provider
def link_signer() -> LinkSigner:
    """Signs and checks every public link, and builds their URLs on the public base URL."""
    from clientele.platform.public_url import public_base_url

    return LinkSigner(app_secret(), public_base_url)
