"""The legacy upgrade: customers saved by an earlier system were migrated opted out of marketing;
when the merchant accepts the terms, each with an email gets one message explaining the change
and asking them to confirm their preferences (a deduplicated delivery: never a second one)."""

from __future__ import annotations

from typing import Any

from clientele.domain.models import Channel, Source
from clientele.repositories.customers import CustomerRepository

KIND = "legacy_upgrade"
DEDUPE_KEY = "legacy-upgrade"


class LegacyUpgrade:
    def __init__(self, customers: CustomerRepository, deliveries: Any) -> None:
        self.customers = customers
        self.deliveries = deliveries  # DeliveryService

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
