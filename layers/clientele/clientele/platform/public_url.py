"""The public https origin of signup, receipt and erase links.

``PUBLIC_BASE_URL`` when the stack knows it (a parameter or the custom domain). Otherwise it is the HTTP
API's own endpoint, which a function cannot be told at deploy time (the API refers to every function, so
a reference back would be a cycle): the stack writes it to the SSM parameter named by
``PUBLIC_BASE_URL_PARAMETER`` once the API exists, and it is read from there on first use, once per
container.
"""

from __future__ import annotations

from clientele.platform.config import LinkSettings, settings
from clientele.platform.providers import provider


@provider
def public_base_url() -> str:
    configured = settings(LinkSettings)
    if configured.public_base_url:
        return configured.public_base_url
    if not configured.public_base_url_parameter:
        raise RuntimeError("neither PUBLIC_BASE_URL nor PUBLIC_BASE_URL_PARAMETER is configured")
    from clientele.platform.aws import client

    response = client("ssm").get_parameter(Name=configured.public_base_url_parameter)
    return str(response["Parameter"]["Value"])
