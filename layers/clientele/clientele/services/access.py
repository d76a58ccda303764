"""Who may do what: permissions, terms gate and site scope of the calling key."""

from __future__ import annotations

from clientele.domain.errors import Forbidden, NotFound, TermsNotAccepted
from clientele.domain.models import Principal
from clientele.domain.permissions import Permission
from clientele.repositories.merchants import MerchantRepository


def require(principal: Principal, permission: Permission) -> None:
    if not principal.can(permission):
        raise Forbidden(f"This API key's role ({principal.role.value}) lacks the permission {permission.value}.")


class TermsGate:
    """Customer-list routes are closed until the merchant accepted the terms.

    The authorizer's answer is cached, so a ``False`` may be stale for a short while after the
    merchant accepted: it is confirmed with one read before refusing. Acceptance never reverts.
    """

    def __init__(self, merchants: MerchantRepository) -> None:
        self.merchants = merchants
        self._accepted: set[str] = set()

    def check(self, principal: Principal) -> None:
        if principal.terms_accepted or principal.merchant_id in self._accepted:
            return
        try:
            merchant = self.merchants.get(principal.merchant_id)
        except NotFound as exc:
            raise TermsNotAccepted("Accept the customer-list terms first: POST /v1/terms/accept.") from exc
        if merchant.terms is None:
            raise TermsNotAccepted(
                "Accept the customer-list terms first: GET /v1/terms, then POST /v1/terms/accept with its version."
            )
        self._accepted.add(principal.merchant_id)


def visible_sites(principal: Principal, requested: str | None) -> list[str] | None:
    """The sites a list may cover: the key's sites, narrowed to ``requested`` if it may see it."""
    if requested is None:
        return principal.site_ids
    if principal.site_ids is not None and requested not in principal.site_ids:
        raise NotFound("No such site.", field="site_id")
    return [requested]
