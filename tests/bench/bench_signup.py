"""Issue 3's figures: the signup page's weight, its requests to other hosts, and the AWS calls of a signup.

``signup_figures(api, signup_url)`` measures them through the in-process gateway (the ``api`` test client)
on a merchant's signup link; ``make bench`` prints them. Targets: page ≤ 20 KB (HTML with its inlined
CSS: the page has no other resource), 0 external requests, ≤ 4 AWS calls per signup POST.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode, urlsplit

TARGETS = {"page_bytes": 20 * 1024, "external_requests": 0, "aws_calls_signup_post": 4}

# What a page can make the browser fetch: src, href of stylesheets/icons/preloads, CSS url() and @import.
_FETCHES = re.compile(
    r"""(?:\ssrc=["']([^"']+)|<link\b[^>]*\bhref=["']([^"']+)|url\(\s*["']?([^"')]+)|@import\s+["']([^"']+))""",
    re.IGNORECASE,
)


@contextmanager
def aws_calls() -> Iterator[list[str]]:
    """Every AWS API call made in this process while the block runs, as ``service.Operation``."""
    from botocore.client import BaseClient

    calls: list[str] = []
    original = BaseClient._make_api_call

    def counting(self: Any, operation_name: str, api_params: Any) -> Any:
        calls.append(f"{self.meta.service_model.service_name}.{operation_name}")
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def external_fetches(html: str, own_host: str | None = None) -> list[str]:
    """URLs the page would load from another host (links to follow are not loads)."""
    found = []
    for match in _FETCHES.finditer(html):
        url = next(group for group in match.groups() if group)
        host = urlsplit(url).netloc
        if url.startswith("data:"):
            continue
        if host and host != own_host:
            found.append(url)
    return found


def signup_figures(api: Any, signup_url: str, *, marketing: bool = False) -> dict[str, Any]:
    """Open the page, then sign up once (warm: the first request paid the cold start)."""
    path = urlsplit(signup_url).path
    ip = f"192.0.2.{uuid.uuid4().int % 200 + 1}"
    page = api.get(path, source_ip=ip)
    assert page.status == 200, page.status
    token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert token
    fields: dict[str, Any] = {
        "form_token": token.group(1),
        "locale": "en",
        "given_name": "Bench",
        "email": f"bench.{uuid.uuid4().hex[:8]}@example.net",
        "consent": "yes",
    }
    if marketing:
        fields["marketing"] = re.findall(r'name="marketing" value="([^"]+)"', page.text)[:1]
    with aws_calls() as calls:
        response = api.post(
            path,
            data=urlencode(fields, doseq=True),
            source_ip=ip,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert response.status == 303, response.status
    return {
        "page_bytes": len(page.body),
        "external_requests": len(external_fetches(page.text)),
        "aws_calls_signup_post": len(calls),
        "aws_calls": calls,
    }


def report(figures: dict[str, Any]) -> str:
    lines = []
    for name, target in TARGETS.items():
        value = figures[name]
        lines.append(f"signup {name}: {value} (target ≤ {target}) {'ok' if value <= target else 'OVER'}")
    lines.append("signup AWS calls: " + ", ".join(figures["aws_calls"]))
    return "\n".join(lines)


def run(stack: Any, api: Any, counter: Any, measure: Any) -> None:
    """``make bench``: the figures of a plain merchant, and of one whose shopper ticks a preference."""
    from clientele.account.wiring import account_service
    from clientele.kernel.contact import Channel
    from clientele.kernel.permissions import Principal, Role

    plain = stack.create_merchant()
    print(report(signup_figures(api, plain["signup_url"])).replace("signup ", "   signup ", 1).replace("\n", "\n   "))
    with_preferences = stack.create_merchant()
    owner = Principal(merchant_id=with_preferences["merchant_id"], key_id="bench", role=Role.OWNER, terms_accepted=True)
    account_service().create_preference(owner, name="Newsletter", channel=Channel.EMAIL, description=None)
    figures = signup_figures(api, with_preferences["signup_url"], marketing=True)
    print(
        f"   signup POST with a marketing preference ticked: {figures['aws_calls_signup_post']} AWS calls "
        f"[{', '.join(figures['aws_calls'])}]"
    )
