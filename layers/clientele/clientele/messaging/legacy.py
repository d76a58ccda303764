"""The legacy upgrade: customers saved by an earlier system were migrated opted out of marketing;
when the merchant accepts the terms, each with an email gets one message explaining the change
and asking them to confirm their preferences (a deduplicated delivery: never a second one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientele.customers.model import Source
from clientele.customers.repository import CustomerRepository
from clientele.kernel.contact import Channel

if TYPE_CHECKING:
    from clientele.messaging.delivery import DeliveryService

KIND = "legacy_upgrade"
DEDUPE_KEY = "legacy-upgrade"


class LegacyUpgrade:
    def __init__(self, customers: CustomerRepository, deliveries: DeliveryService) -> None:
        self.customers = customers
        self.deliveries = deliveries

    def terms_accepted(self, merchant_id: str) -> int:
        """The merchant activated Clientele: the legacy customers hear about it (once each)."""
        return self.notify_all(merchant_id)

    def notify_all(self, merchant_id: str) -> int:
        """Queue the explanatory email for every legacy customer with an email (again: nothing new)."""
        queued = 0
        cursor = None
        while True:
            page = self.customers.list(merchant_id, source=Source.LEGACY.value, limit=100, cursor=cursor)
            for customer in page.items:
                if not customer.email:
                    continue
                self.deliveries.enqueue(KIND, merchant_id, customer.id, Channel.EMAIL, dedupe_key=DEDUPE_KEY)
                queued += 1
            cursor = page.cursor
            if not cursor:
                return queued
