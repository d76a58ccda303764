"""Security headers of every hosted page (signup, receipt, erase, preferences, mandate).

Tokens travel in these pages' URLs, so nothing may leak them: no referrer, no caching, no
framing, no script, nothing loaded from another host.
"""

from __future__ import annotations

from collections.abc import Iterable


def page_headers(
    *, style_sources: Iterable[str] = (), content_language: str | None = None, cacheable: bool = False
) -> dict[str, str]:
    """Headers of an HTML page whose only inline content is the hashed stylesheets in ``style_sources``."""
    styles = " ".join(style_sources) or "'none'"
    csp = (
        "default-src 'none'; script-src 'none'; "
        f"style-src {styles}; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": csp,
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "Strict-Transport-Security": "max-age=31536000",
        "Cache-Control": "private, max-age=300" if cacheable else "no-store",
    }
    if content_language:
        headers["Content-Language"] = content_language
    return headers
