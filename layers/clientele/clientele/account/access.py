"""The terms gate: customer-list routes stay closed until the merchant accepted the terms."""

from __future__ import annotations

from clientele.account.repository import MerchantRepository
from clientele.kernel.errors import NotFound, TermsNotAccepted
from clientele.kernel.permissions import Principal


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
