"""The providers of messages to customers (the delivery pipeline, receipts, the legacy upgrade, email feedback
and the suppression lists)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from clientele.account import wiring as account
from clientele.customers import wiring as customers
from clientele.platform.config import Settings, settings
from clientele.platform.providers import provider
from clientele.platform.secrets import app_secret, link_signer
from clientele.sales import wiring as sales
from clientele.storage.table import data_table

if TYPE_CHECKING:
    from clientele.account.model import Site
    from clientele.messaging.dead_letters import DeadLetterSweep
    from clientele.messaging.delivery import DeliveryService
    from clientele.messaging.feedback import EmailFeedbackService
    from clientele.messaging.legacy import LegacyUpgrade
    from clientele.messaging.receipts import HostedReceipts, ReceiptService
    from clientele.messaging.repository import DeliveryRepository
    from clientele.messaging.suppression import SuppressionList
    from clientele.sales.model import Sale


class MessagingSettings(Settings):
    sender_email: str = Field(default="no-reply@example.com", alias="SENDER_EMAIL")
    delivery_queue_url: str = Field(default="", alias="DELIVERY_QUEUE_URL")
    # The delivery queue's maxReceiveCount (template.yaml): the last receive marks a delivery failed.
    delivery_max_receives: int = Field(default=5, alias="DELIVERY_MAX_RECEIVES")
    # A mailbox that processes "unsubscribe" mails; when set, List-Unsubscribe also offers it (mailto).
    unsubscribe_email: str = Field(default="", alias="UNSUBSCRIBE_EMAIL")


@provider
def deliveries() -> DeliveryRepository:
    from clientele.messaging.repository import DeliveryRepository

    return DeliveryRepository(data_table(), moved_to=customers.customers().moved_to)


@provider
def suppressions() -> SuppressionList:
    """The merchants' suppression lists (the secret is read on the first check, not here)."""
    from clientele.messaging.repository import SuppressionRepository
    from clientele.messaging.suppression import SuppressionList

    return SuppressionList(SuppressionRepository(data_table()), app_secret)


def _sale(merchant_id: str, sale_id: str) -> Sale | None:
    """A sale for messages that carry one (the welcome email's first receipt)."""
    from clientele.kernel.errors import NotFound

    try:
        return sales.sales().get(merchant_id, sale_id)
    except NotFound:
        return None


def _site(merchant_id: str, site_id: str) -> Site | None:
    """A sale's site, for the name and address its receipt shows."""
    from clientele.kernel.errors import NotFound

    try:
        return account.merchants().get_site(merchant_id, site_id)
    except NotFound:
        return None


@provider
def delivery_service() -> DeliveryService:
    from clientele.messaging.delivery import DeliveryService
    from clientele.platform.mail import Mailer
    from clientele.platform.queues import Queue

    config = settings(MessagingSettings)
    return DeliveryService(
        deliveries(),
        customers.customers(),
        account.merchants(),
        Queue(config.delivery_queue_url),
        Mailer(config.sender_email),
        signer=link_signer(),
        max_receives=config.delivery_max_receives,
        sales=_sale,
        sites=_site,
        unsubscribe_mailbox=config.unsubscribe_email or None,
        suppressions=suppressions(),
    )


@provider
def receipt_service() -> ReceiptService:
    from clientele.messaging.receipts import ReceiptService

    return ReceiptService(sales.sales_service(), customers.customers(), deliveries(), delivery_service, suppressions())


@provider
def email_feedback() -> EmailFeedbackService:
    from clientele.messaging.feedback import EmailFeedbackService

    return EmailFeedbackService(deliveries(), suppressions())


@provider
def hosted_receipts() -> HostedReceipts:
    from clientele.messaging.receipts import HostedReceipts

    return HostedReceipts(link_signer(), account.merchants(), sales.sales())


@provider
def legacy_upgrade() -> LegacyUpgrade:
    from clientele.messaging.legacy import LegacyUpgrade

    return LegacyUpgrade(customers.customers(), delivery_service())


class DeadLetterSettings(Settings):
    """Only the dead-letter sweep's function has its queue's URL."""

    queue_url: str = Field(default="", alias="DELIVERY_DEAD_LETTER_QUEUE_URL")


@provider
def dead_letter_sweep() -> DeadLetterSweep:
    from clientele.messaging.dead_letters import DeadLetterSweep
    from clientele.platform.aws import client

    return DeadLetterSweep(deliveries(), settings(DeadLetterSettings).queue_url, client("sqs"))
