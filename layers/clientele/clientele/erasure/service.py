"""Erasure: one service behind the four ways to erase (receipt link, welcome-email link, privacy
portal, merchant ``DELETE``).

Every item type of docs/data-model.md has a rule in :data:`RULES`; a test fails when one is missing.
The profile, its guards, the tombstone and the counters change in one transaction; the rest of the
customer's partition is swept afterwards, and a second run sweeps whatever a crash left behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from clientele.customers import keys as customer_keys
from clientele.customers.repository import CustomerRepository
from clientele.erasure.repository import TOMBSTONE_SK, ErasureRepository
from clientele.kernel import clock, contact
from clientele.kernel.errors import NotFound
from clientele.sales import keys as sale_keys
from clientele.sales import rules
from clientele.storage.table import Item

if TYPE_CHECKING:
    from clientele.customers.photos import PhotoService


class ErasurePath(StrEnum):
    RECEIPT_LINK = "receipt_link"
    WELCOME_LINK = "welcome_link"
    PORTAL = "portal"
    MERCHANT = "merchant"


class Rule(StrEnum):
    DELETE = "delete"  # the item goes
    ANONYMISE = "anonymise"  # the item stays without personal data
    KEEP = "keep"  # holds no personal data of a customer (merchant's own data, counters, hashes of ids)


# entity (the item's ``entity`` attribute) -> what erasure does with it
RULES: dict[str, Rule] = {
    # in the customer's partition
    "customer": Rule.DELETE,
    "note": Rule.DELETE,
    "audit": Rule.DELETE,
    "card": Rule.DELETE,  # and its look-up stops pointing at the customer
    "activity": Rule.DELETE,  # and its sale is marked as an erased customer's
    "customer_stats": Rule.DELETE,  # and the merchant's counters lose the customer
    "delivery": Rule.DELETE,  # pending messages find no delivery and no customer: nothing is sent
    "tombstone": Rule.KEEP,  # when and by which path, no personal data
    # elsewhere
    "guard": Rule.DELETE,
    "card_lookup": Rule.ANONYMISE,
    "sale": Rule.ANONYMISE,
    "merchant": Rule.KEEP,
    "stats": Rule.KEEP,
    "counters": Rule.KEEP,
    "site": Rule.KEEP,
    "label": Rule.KEEP,
    "preference": Rule.KEEP,
    "photo": Rule.DELETE,  # and the objects it names in the photo bucket
    "attribute_definition": Rule.KEEP,  # the merchant's definition; values live on the profile (deleted)
    "api_key": Rule.KEEP,
    "api_key_lookup": Rule.KEEP,
    "rate_limit": Rule.KEEP,
    "one_time_code": Rule.KEEP,  # a keyed hash of the address and of the code; gone by TTL in 10 minutes
    "inbox": Rule.KEEP,  # a consumer's marker of an event it handled: sale and customer ids, gone by TTL
    # A keyed hash of an address that bounced for good or complained, in the merchant's partition (no customer
    # id, no address): kept, so erasing a profile never silently re-enables mailing someone who complained.
    "suppression": Rule.KEEP,
    # the directory (search and list): the customer's entry leaves both items in the erasure's transaction
    "directory_packed": Rule.ANONYMISE,
    "directory_pending": Rule.ANONYMISE,
}


@dataclass(frozen=True)
class Tombstone:
    customer_id: str
    erased_at: str
    path: str


class ErasureService:
    def __init__(
        self, erasure: ErasureRepository, customers: CustomerRepository, secret: Any, photos: PhotoService | None = None
    ) -> None:
        self.erasure = erasure
        self.customers = customers
        self._secret = secret
        self.photos = photos

    def erase(self, merchant_id: str, customer_id: str, path: ErasurePath) -> Tombstone:
        """Erase the customer; running it again (or concurrently) is safe and returns the same tombstone."""
        items = self.erasure.partition(merchant_id, customer_id)
        profile = next((i for i in items if i["SK"] == customer_keys.CUSTOMER_SK), None)
        if profile is not None:
            self._close(merchant_id, customer_id, profile, items, path)
        tombstone = self.erasure.tombstone(merchant_id, customer_id)
        if tombstone is None:
            raise NotFound("No such customer.", field="id")
        self._sweep(merchant_id, customer_id, items)
        return Tombstone(customer_id, tombstone["erased_at"], tombstone["path"])

    def _close(self, merchant_id: str, customer_id: str, profile: Item, items: list[Item], path: ErasurePath) -> None:
        guards = []
        secret = self._secret() if profile.get("email") or profile.get("phone") else b""
        if profile.get("email"):
            guards.append(
                (
                    customer_keys.email_guard_pk(merchant_id, contact.email_hash(secret, profile["email"])),
                    customer_keys.GUARD_SK,
                )
            )
        if profile.get("phone"):
            guards.append(
                (
                    customer_keys.phone_guard_pk(merchant_id, contact.phone_hash(secret, profile["phone"])),
                    customer_keys.GUARD_SK,
                )
            )
        # The customer stops counting among each scope's customers and returning customers (sales.rules).
        counts = [
            (
                str(item.get("scope") or sale_keys.customer_stats_scope(item["SK"])),
                int(item.get("sale_count", 0)),
                int(item.get("purchase_count", 0)),
            )
            for item in items
            if item.get("entity") == "customer_stats"
        ]
        self.erasure.close_profile(
            merchant_id,
            customer_id,
            guards=guards,
            tombstone={"customer_id": customer_id, "erased_at": clock.now_iso(), "path": path.value},
            counters=rules.erased_customer(counts),
        )

    def _sweep(self, merchant_id: str, customer_id: str, items: list[Item]) -> None:
        doomed: list[tuple[str, str]] = []
        for item in items:
            entity = str(item.get("entity", ""))
            if item["SK"] in (customer_keys.CUSTOMER_SK, TOMBSTONE_SK):
                continue
            rule = RULES.get(entity, Rule.DELETE)  # an unknown item in the partition is the person's: delete
            if rule is not Rule.DELETE:
                continue
            if entity == "photo" and self.photos is not None:
                self.photos.erase(merchant_id, customer_id, item)  # the objects in the photo bucket
            if entity == "card" and item.get("fingerprint_hash"):
                self.erasure.delete_card_lookup(merchant_id, item["fingerprint_hash"], customer_id)
            if entity == "activity" and item["SK"].startswith(sale_keys.activity_prefix("all")) and item.get("id"):
                self.erasure.anonymise_sale(merchant_id, item["id"])
            doomed.append((item["PK"], item["SK"]))
        self.erasure.delete(doomed)
