"""The merchant's suppression list: email addresses that bounced for good or complained are never mailed again.

An address is known only by its keyed hash (``kernel.contact.email_hash`` under the application secret), the
same hash for the same normalised address, so the list can be checked before each send without holding any
address in clear.
"""

from __future__ import annotations

from collections.abc import Callable

from clientele.kernel import contact
from clientele.kernel.errors import ValidationFailed
from clientele.messaging.model import Suppression, SuppressionReason
from clientele.messaging.repository import SuppressionRepository


class SuppressionList:
    def __init__(self, repository: SuppressionRepository, secret: Callable[[], bytes]) -> None:
        self.repository = repository
        self._secret = secret

    def hash(self, address: str) -> str:
        try:
            normalised = contact.normalise_email(address)
        except ValidationFailed:
            normalised = address.strip()  # what SES reported is what was sent: hash it as it is
        return contact.email_hash(self._secret(), normalised)

    def holds(self, merchant_id: str, address: str) -> bool:
        """Is ``address`` on the merchant's suppression list? (one GetItem)"""
        return self.repository.get(merchant_id, self.hash(address)) is not None

    def add(self, merchant_id: str, address: str, *, reason: SuppressionReason, code: str, now: str) -> bool:
        """Put ``address`` on the merchant's list; False when it was there already."""
        return self.repository.add(
            Suppression(
                merchant_id=merchant_id, email_hash=self.hash(address), reason=reason, code=code, suppressed_at=now
            )
        )
