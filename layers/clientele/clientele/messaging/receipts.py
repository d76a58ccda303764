"""Digital receipts of sales: send one by email or SMS, list a sale's receipt deliveries, and show the
hosted receipt page that a text message links to.

Sending goes through the message-delivery pipeline (:mod:`clientele.messaging.delivery`): a delivery
record and an IDs-only queue message now, the address read and the receipt rendered when it is sent.
An email to an address on the merchant's suppression list (it bounced for good, or complained) is refused
at once with ``CUSTOMER_EMAIL_SUPPRESSED``. With an ``Idempotency-Key`` the delivery's id derives from the
sale, the channel and the key, so a retry that outlives its idempotency record still finds the first
delivery instead of sending a second receipt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from clientele.account.model import Merchant, Site
from clientele.account.repository import MerchantRepository
from clientele.customers.repository import CustomerRepository
from clientele.kernel.contact import Channel
from clientele.kernel.entity import Page
from clientele.kernel.errors import NotFound, ValidationFailed
from clientele.kernel.links import InvalidLink, Link, LinkSigner
from clientele.kernel.permissions import Principal
from clientele.messaging.repository import DeliveryRepository
from clientele.messaging.suppression import SuppressionList
from clientele.sales.model import Sale
from clientele.sales.repository import SaleRepository

if TYPE_CHECKING:
    from clientele.messaging.delivery import DeliveryService
    from clientele.messaging.model import Delivery
    from clientele.sales.service import SalesService

KIND = "receipt"


class ReceiptService:
    """The merchant's side: send a sale's receipt, list its deliveries."""

    def __init__(
        self,
        sales: SalesService,
        customers: CustomerRepository,
        deliveries: DeliveryRepository,
        delivery: Callable[[], DeliveryService],
        suppressions: SuppressionList | None = None,
    ) -> None:
        self.sales = sales
        self.customers = customers
        self.deliveries = deliveries
        self.delivery = delivery  # built on first send: listing needs no queue, mailer or signing key
        self.suppressions = suppressions

    def send(
        self, principal: Principal, sale_id: str, channel: Channel, *, idempotency_key: str | None = None
    ) -> Delivery:
        """Queue the receipt of ``sale_id`` to its customer's email address or phone number."""
        sale = self.sales.get(principal, sale_id)
        if sale.customer_id is None:
            raise ValidationFailed(
                "This sale has no customer to send a receipt to; record sales with a customer_id, or with a card "
                "linked to a customer.",
                field="id",
                code="SALE_WITHOUT_CUSTOMER",
            )
        try:
            customer = self.customers.get(principal.merchant_id, sale.customer_id)
        except NotFound as exc:  # erased since: the sale stays, anonymised
            raise ValidationFailed(
                "This sale's customer is no longer on the list.", field="id", code="SALE_WITHOUT_CUSTOMER"
            ) from exc
        if channel is Channel.EMAIL and not customer.email:
            raise ValidationFailed(
                "This sale's customer has no email address.", field="channel", code="CUSTOMER_WITHOUT_EMAIL"
            )
        if (
            channel is Channel.EMAIL
            and customer.email
            and self.suppressions is not None
            and self.suppressions.holds(principal.merchant_id, customer.email)
        ):
            raise ValidationFailed(
                "This customer's email address bounced or was reported as spam, so it is no longer mailed; send the "
                "receipt by SMS, or correct the customer's email address.",
                field="channel",
                code="CUSTOMER_EMAIL_SUPPRESSED",
            )
        if channel is Channel.SMS and not customer.phone:
            raise ValidationFailed(
                "This sale's customer has no phone number.", field="channel", code="CUSTOMER_WITHOUT_PHONE"
            )
        dedupe_key = f"{KIND}/{sale.id}/{channel.value}/{idempotency_key}" if idempotency_key else None
        return self.delivery().enqueue(
            KIND, principal.merchant_id, customer.id, channel, {"sale_id": sale.id}, dedupe_key=dedupe_key
        )

    def list(self, principal: Principal, sale_id: str, *, limit: int, cursor: str | None) -> Page[Delivery]:
        """Every message that carried the sale (receipts, and a welcome email with the sale as its first
        receipt), newest first: one bounded query of the sale's index."""
        sale = self.sales.get(principal, sale_id)
        return self.deliveries.list_for_sale(principal.merchant_id, sale.id, limit=limit, cursor=cursor)


@dataclass(frozen=True)
class HostedReceipt:
    merchant: Merchant
    sale: Sale
    site: Site | None
    preferences_link: str | None  # None once the sale has no customer (erased, or never had one)
    erase_link: str | None


class HostedReceipts:
    """The shopper's side: the receipt page behind a signed link (no key; the token names the sale)."""

    def __init__(self, signer: LinkSigner, merchants: MerchantRepository, sales: SaleRepository) -> None:
        self.signer = signer
        self.merchants = merchants
        self.sales = sales

    def open(self, token: str) -> HostedReceipt:
        """The receipt behind ``token``; :class:`InvalidLink` for a forged or expired one, :class:`NotFound`
        for a sale or merchant that no longer exists."""
        payload = self.signer.verify(Link.RECEIPT, token)
        merchant_id, sale_id = payload.get("m"), payload.get("s")
        if not isinstance(merchant_id, str) or not isinstance(sale_id, str):
            raise InvalidLink("invalid")
        merchant = self.merchants.get(merchant_id)
        sale = self.sales.get(merchant_id, sale_id)
        try:
            site: Site | None = self.merchants.get_site(merchant_id, sale.site_id)
        except NotFound:
            site = None
        preferences = erase = None
        if sale.customer_id is not None:
            # The same links a receipt email carries at its bottom: an SMS customer has no other way out.
            customer = {"m": merchant_id, "c": sale.customer_id}
            preferences = self.signer.url(Link.PREFERENCES, customer)
            erase = self.signer.url(Link.ERASE, {**customer, "v": KIND})
        return HostedReceipt(merchant, sale, site, preferences, erase)
