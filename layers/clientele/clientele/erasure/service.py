"""Erasure: one service behind the four ways to erase (receipt link, welcome-email link, privacy
portal, merchant ``DELETE``).

Every item type of docs/data-model.md has a rule in :data:`RULES`; a test fails when one is missing.
The profile, its guards, the tombstone and the counters change in one transaction; the rest of the
customer's partition is swept afterwards, and a second run sweeps whatever a crash left behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from clientele.customers import keys as customer_keys
from clientele.customers.repository import CustomerRepository
from clientele.erasure.repository import TOMBSTONE_SK, ErasureRepository
from clientele.kernel import clock, contact
from clientele.kernel.errors import NotFound
from clientele.platform.providers import provider
from clientele.sales import keys as sale_keys
from clientele.sales import rules
from clientele.storage.table import Item

if TYPE_CHECKING:
    from clientele.customers.photos import PhotoService
    from clientele.groups.repository import GroupRepository
    from clientele.loyalty.repository import LoyaltyRepository


class ErasurePath(StrEnum):
    RECEIPT_LINK = "receipt_link"
    WELCOME_LINK = "welcome_link"
    PREFERENCES_LINK = "preferences_link"  # the erase link on the preferences page (a welcome SMS leads there)
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
    # groups: the customer's facts (with their due-index entry) and member items go, the counts move, at once
    "group_facts": Rule.DELETE,
    "group_member": Rule.DELETE,
    "group_config": Rule.KEEP,  # the merchant's definitions
    "group_counts": Rule.KEEP,  # numbers only
    "group_job": Rule.KEEP,  # a re-evaluation's progress: numbers and ids of groups
    # loyalty: the account loses its phone (its look-up goes), the ledger the merchant's words; points and
    # balances stay, so the merchant's totals of points stay right
    "loyalty_account": Rule.ANONYMISE,
    "loyalty_event": Rule.ANONYMISE,
    "loyalty_op": Rule.ANONYMISE,
    "loyalty_sale": Rule.KEEP,  # a sale's points on the account: ids and numbers
    "loyalty_phone": Rule.DELETE,
    "loyalty_program": Rule.KEEP,
    # memberships (docs/data-model.md, "Memberships and dues"): ids, dates and money, no personal data
    "membership_type": Rule.KEEP,
    "membership_settings": Rule.KEEP,
    "membership": Rule.ANONYMISE,
    "membership_charge": Rule.KEEP,
    "membership_number": Rule.KEEP,
    "membership_view": Rule.DELETE,
    "membership_counters": Rule.KEEP,
    "membership_agenda": Rule.DELETE,
    "dues_site": Rule.KEEP,
    "mandate": Rule.ANONYMISE,  # holder name and sealed IBAN removed, revoked; reference and masked IBAN stay
    "mandate_request": Rule.DELETE,  # its link stops working
    "mandate_reference": Rule.KEEP,  # a reference is never reused for another mandate of the creditor
    "collection_entry": Rule.DELETE,  # a charge still to collect is dropped from the next batch
    "membership_export": Rule.KEEP,  # ids only; the file itself expires from the bucket after a day
    "direct_debit_batch": Rule.KEEP,  # ids and money; holder and IBAN only in the bank file
    # intake forms (docs/data-model.md, "Intake forms"): the answers are health data, in the customer's partition
    "intake_form": Rule.KEEP,  # the merchant's questions
    "intake_request": Rule.DELETE,  # its link stops working
    "intake_submission": Rule.DELETE,  # the answers and the consent go with the profile
    "membership_credit": Rule.ANONYMISE,  # reasons go, available ones are revoked; ids, kinds and dates stay
    # directory jobs: ids, counts and field names only
    "merge_plan": Rule.KEEP,  # in a merged-away customer's partition: the survivor's id and the outcome
    "merge_outcome": Rule.DELETE,  # in the survivor's partition: the values a merge kept and dropped
    "export": Rule.KEEP,  # who exported, when, which filters, how many rows (the file expires in 7 days)
    "export_ids": Rule.KEEP,  # the ids an export holds, to count live exports in a tombstone; TTL 7 days
    "import": Rule.KEEP,  # an import's report: counts, row numbers, column names and codes, never a value
    "attribute_removal": Rule.KEEP,  # a custom attribute's removal: its key, counts, who and when; TTL 30 days
}


@dataclass(frozen=True)
class Tombstone:
    customer_id: str
    erased_at: str
    path: str
    # What still holds the person elsewhere for a while, as counts only (e.g. live exports until they expire).
    counts: dict[str, int] = field(default_factory=dict)


TombstoneCounts = Callable[[str, str], dict[str, int]]
_COUNTERS: dict[str, Callable[[], TombstoneCounts]] = {}


def tombstone_counts(build: Callable[[], TombstoneCounts]) -> Callable[[], TombstoneCounts]:
    """Declare a provider of counts a tombstone records (``(merchant_id, customer_id) -> {name: count}``): the
    port through which contexts above erasure (exports) say what still holds the person, never who."""
    built = provider(build)
    _COUNTERS[f"{build.__module__}.{build.__qualname__}"] = built
    return built


class MemberErasure(Protocol):
    """The memberships' part of an erasure (``MembershipService.erase_member``)."""

    def erase_member(self, merchant_id: str, customer_id: str) -> int: ...


class ErasureService:
    def __init__(
        self,
        erasure: ErasureRepository,
        customers: CustomerRepository,
        secret: Any,
        *,
        groups: GroupRepository | None = None,
        loyalty: LoyaltyRepository | None = None,
        members: Callable[[], MemberErasure] | None = None,
        photos: PhotoService | None = None,
    ) -> None:
        self.erasure = erasure
        self.customers = customers
        self._secret = secret
        self.groups = groups
        self.loyalty = loyalty
        self._members = members
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
        if self.loyalty is not None:
            self.loyalty.erase(merchant_id, customer_id, items)
        if self._members is not None:
            self._members().erase_member(merchant_id, customer_id)
        counts = {k: int(v) for k, v in (tombstone.get("counts") or {}).items()}
        return Tombstone(customer_id, tombstone["erased_at"], tombstone["path"], counts)

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
            tombstone={
                "customer_id": customer_id,
                "erased_at": clock.now_iso(),
                "path": path.value,
                "counts": {k: v for build in _COUNTERS.values() for k, v in build()(merchant_id, customer_id).items()},
            },
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
            if entity == "group_facts" and self.groups is not None:
                self.groups.erase(merchant_id, customer_id)  # out of every group, count and index, at once
                continue
            doomed.append((item["PK"], item["SK"]))
        self.erasure.delete(doomed)
