"""The erase link at the bottom of every email (``/e/{token}``): what the page shows, and the erasure.

The token names the merchant, the customer and the kind of message it came in (``"v"``), so the
erasure's tombstone can say which way was taken.
"""

from __future__ import annotations

from dataclasses import dataclass

from clientele.account.model import Merchant
from clientele.account.repository import MerchantRepository
from clientele.customers.repository import CustomerRepository
from clientele.erasure.service import ErasurePath, ErasureService
from clientele.kernel.errors import NotFound
from clientele.kernel.links import Link, LinkSigner

# Which email carried the erase link (the token's "v"), recorded on the tombstone.
PATHS = {
    "welcome": ErasurePath.WELCOME_LINK,
    "receipt": ErasurePath.RECEIPT_LINK,
    "preferences": ErasurePath.PREFERENCES_LINK,
}


@dataclass(frozen=True)
class EraseLinkView:
    merchant: Merchant
    held: bool  # False: nothing left to erase (a used link, or erased another way)


class EraseLinks:
    def __init__(
        self, signer: LinkSigner, merchants: MerchantRepository, customers: CustomerRepository, erasure: ErasureService
    ) -> None:
        self.signer = signer
        self.merchants = merchants
        self.customers = customers
        self.erasure = erasure

    def _target(self, token: str) -> tuple[str, str, ErasurePath]:
        payload = self.signer.verify(Link.ERASE, token)
        merchant_id, customer_id = str(payload.get("m", "")), str(payload.get("c", ""))
        return merchant_id, customer_id, PATHS.get(str(payload.get("v", "")), ErasurePath.RECEIPT_LINK)

    def open(self, token: str) -> EraseLinkView:
        """What the confirmation page shows; :class:`InvalidLink` or :class:`NotFound` for a dead link."""
        merchant_id, customer_id, _ = self._target(token)
        merchant = self.merchants.get(merchant_id)
        try:
            self.customers.get(merchant_id, customer_id)
        except NotFound:
            return EraseLinkView(merchant, held=False)
        return EraseLinkView(merchant, held=True)

    def erase(self, token: str) -> EraseLinkView:
        """Erase the link's customer; ``held=False`` when there was nothing left to erase."""
        merchant_id, customer_id, path = self._target(token)
        view = self.open(token)
        if view.held:
            self.erasure.erase(merchant_id, customer_id, path)
        return view
