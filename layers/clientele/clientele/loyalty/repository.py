"""The program, accounts, their ledgers, the markers that make accruals and operations happen once, and the
phone look-up (docs/data-model.md, "Loyalty").

Every change of an account is one transaction: the account put under the ``version`` it was read at, its
ledger events, and the markers of what caused it (a sale, an ``Idempotency-Key``) guarded by their
non-existence. So the balance and the ledger move together or not at all, and no cause counts twice.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from clientele.customers import keys as customer_keys
from clientele.kernel.entity import Page
from clientele.loyalty import keys
from clientele.loyalty.model import Account, Event, Program
from clientele.storage import partitions
from clientele.storage.table import ConditionFailed, Item, Table, Transaction, TransactionCancelled, fields_of


class StaleAccount(Exception):
    """The account changed since it was read (or appeared, or went): read again and retry."""


class AlreadyDone(Exception):
    """The marker of this cause exists: the sale or operation was applied before."""

    def __init__(self, old: Item | None) -> None:
        super().__init__("already applied")
        self.old = old or {}


class PhoneTaken(Exception):
    def __init__(self, customer_id: str | None) -> None:
        super().__init__("phone taken")
        self.customer_id = customer_id


class CustomerMissing(Exception):
    pass


@dataclass
class Change:
    """One change of one account: what it was (``version`` read, None: not enrolled), what it becomes, the
    events it records and the markers guarding its cause."""

    account: Account
    read_version: int | None
    events: list[Event] = field(default_factory=list)
    markers: list[Item] = field(default_factory=list)  # put with attribute_not_exists(PK)
    marker_updates: list[tuple[str, str, int, int]] = field(default_factory=list)  # (pk, sk, reversed was, now)
    reverses: int = 0  # a refund: what it reversed of its sale's points (before the balance's floor)


class LoyaltyRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    # Items ------------------------------------------------------------------------------------
    @staticmethod
    def account_item(account: Account) -> Item:
        pk, sk = keys.account_key(account.merchant_id, account.customer_id)
        return {"PK": pk, "SK": sk, "entity": "loyalty_account", **account.model_dump(mode="json", exclude_none=True)}

    @staticmethod
    def event_item(merchant_id: str, event: Event) -> Item:
        return {
            "PK": partitions.customer_pk(merchant_id, event.customer_id),
            "SK": keys.event_sk(event.at, event.id),
            "entity": "loyalty_event",
            **event.model_dump(mode="json", exclude_none=True),
        }

    @staticmethod
    def to_account(item: Item | None) -> Account | None:
        return Account.model_validate(fields_of(item)) if item else None

    @staticmethod
    def to_program(item: Item | None) -> Program | None:
        return Program.model_validate(fields_of(item)) if item else None

    # Reads ------------------------------------------------------------------------------------
    def program(self, merchant_id: str) -> Program | None:
        return self.to_program(self.table.get(*keys.program_key(merchant_id), consistent=True))

    def account(self, merchant_id: str, customer_id: str) -> Account | None:
        return self.to_account(self.table.get(*keys.account_key(merchant_id, customer_id), consistent=True))

    def account_and_program(self, merchant_id: str, customer_id: str) -> tuple[Account | None, Program | None]:
        """Both in one ``BatchGetItem``."""
        account, program, _ = self.account_program_operation(merchant_id, customer_id, None)
        return account, program

    def account_program_operation(
        self, merchant_id: str, customer_id: str, operation_id: str | None
    ) -> tuple[Account | None, Program | None, Item | None]:
        """The account, the program and (when asked) an operation's marker: one ``BatchGetItem``."""
        account_key = keys.account_key(merchant_id, customer_id)
        wanted = [account_key, keys.program_key(merchant_id)]
        if operation_id:
            wanted.append((account_key[0], keys.operation_sk(operation_id)))
        found = {(i["PK"], i["SK"]): i for i in self.table.batch_get(wanted, consistent=True)}
        return (
            self.to_account(found.get(account_key)),
            self.to_program(found.get(keys.program_key(merchant_id))),
            found.get(wanted[2]) if operation_id else None,
        )

    def customer_by_phone(self, merchant_id: str, phone_hash: str) -> str | None:
        item = self.table.get(keys.phone_pk(merchant_id, phone_hash), keys.PHONE_SK)
        return str(item["customer_id"]) if item else None

    def ledger(self, merchant_id: str, customer_id: str, *, limit: int, cursor: str | None) -> Page[Event]:
        """One page of the ledger, newest first: one ``Query``."""
        items, next_cursor = self.table.query(
            partition=("PK", partitions.customer_pk(merchant_id, customer_id)),
            begins_with=("SK", keys.EVENT_PREFIX),
            limit=limit,
            cursor=cursor,
            forward=False,
        )
        return Page[Event](items=[Event.model_validate(fields_of(i)) for i in items], cursor=next_cursor)

    # Writes -----------------------------------------------------------------------------------
    def save_program(self, merchant_id: str, program: Program, read_version: int | None) -> None:
        pk, sk = keys.program_key(merchant_id)
        item = {"PK": pk, "SK": sk, "entity": "loyalty_program", **program.model_dump(mode="json", exclude_none=True)}
        tx = self.table.transaction()
        if read_version is None:
            tx.put("loyalty_program", item, condition="attribute_not_exists(PK)")
        else:
            tx.put("loyalty_program", item, condition="version = :v", vals={":v": read_version})
        try:
            tx.commit()
        except TransactionCancelled as exc:
            raise StaleAccount() from exc

    def add_change(self, tx: Transaction, change: Change) -> None:
        """Add the change's operations to ``tx`` (a sale's transaction, or the change's own)."""
        account = change.account
        if change.read_version is None:
            tx.put("loyalty_account", self.account_item(account), condition="attribute_not_exists(PK)")
        else:
            tx.put(
                "loyalty_account",
                self.account_item(account),
                condition="version = :v",
                vals={":v": change.read_version},
            )
        for event in change.events:
            tx.put("loyalty_event", self.event_item(account.merchant_id, event), condition="attribute_not_exists(PK)")
        for marker in change.markers:
            tx.put("loyalty_marker", marker, condition="attribute_not_exists(PK)")
        for pk, sk, was, now in change.marker_updates:
            tx.update(
                "loyalty_original",
                pk,
                sk,
                "SET reversed = :now",
                condition="attribute_exists(PK) AND (attribute_not_exists(reversed) OR reversed = :was)",
                vals={":now": now, ":was": was},
            )

    def commit(self, changes: list[Change], *, extra: Transaction | None = None) -> None:
        tx = self.table.transaction()
        for change in changes:
            self.add_change(tx, change)
        if extra is not None:
            tx.extend(extra)
        try:
            tx.commit()
        except TransactionCancelled as exc:
            explain(exc)
            raise

    def enroll(self, change: Change, phone_hash: str) -> None:
        """Create the account, claim its phone and check the customer exists, in one transaction."""
        account = change.account
        tx = self.table.transaction()
        tx.check(
            "customer",
            partitions.customer_pk(account.merchant_id, account.customer_id),
            customer_keys.CUSTOMER_SK,
            "attribute_exists(PK)",
        )
        self._claim_phone(tx, account.merchant_id, account.customer_id, phone_hash)
        self.commit([change], extra=tx)

    def change_phone(self, change: Change, old_hash: str | None, new_hash: str) -> None:
        account = change.account
        tx = self.table.transaction()
        if old_hash:
            self.release_phone(tx, account.merchant_id, old_hash, account.customer_id)
        self._claim_phone(tx, account.merchant_id, account.customer_id, new_hash)
        self.commit([change], extra=tx)

    def _claim_phone(self, tx: Transaction, merchant_id: str, customer_id: str, phone_hash: str) -> None:
        tx.put(
            "loyalty_phone",
            {
                "PK": keys.phone_pk(merchant_id, phone_hash),
                "SK": keys.PHONE_SK,
                "entity": "loyalty_phone",
                "customer_id": customer_id,
            },
            condition="attribute_not_exists(PK)",
        )

    def release_phone(self, tx: Transaction, merchant_id: str, phone_hash: str, customer_id: str) -> None:
        tx.delete(
            "loyalty_phone_release",
            keys.phone_pk(merchant_id, phone_hash),
            keys.PHONE_SK,
            condition="customer_id = :c",
            vals={":c": customer_id},
        )

    def move_phone(self, tx: Transaction, merchant_id: str, phone_hash: str, source: str, survivor: str) -> None:
        """A merge moves the source's account to the survivor: its phone look-up points there too."""
        tx.update(
            "loyalty_phone_move",
            keys.phone_pk(merchant_id, phone_hash),
            keys.PHONE_SK,
            "SET customer_id = :to",
            condition="customer_id = :from",
            vals={":to": survivor, ":from": source},
        )

    def delete_account(self, tx: Transaction, account: Account) -> None:
        tx.delete(
            "loyalty_account_gone",
            *keys.account_key(account.merchant_id, account.customer_id),
            condition="version = :v",
            vals={":v": account.version},
        )

    # Erasure ----------------------------------------------------------------------------------
    def erase(self, merchant_id: str, customer_id: str, items: list[Item]) -> None:
        """The account loses its phone (its look-up goes); events and operations lose the merchant's words.
        Balances and points stay, so the merchant's totals stay right."""
        for item in items:
            entity = item.get("entity")
            if entity == "loyalty_account":
                if item.get("phone_hash"):
                    # Unless the number is another account's look-up by now: then it is not this person's.
                    with contextlib.suppress(TransactionCancelled):
                        self.table.transact(
                            [
                                self.table.delete_op(
                                    keys.phone_pk(merchant_id, item["phone_hash"]),
                                    keys.PHONE_SK,
                                    condition="attribute_not_exists(PK) OR customer_id = :c",
                                    vals={":c": customer_id},
                                )
                            ]
                        )
                with contextlib.suppress(ConditionFailed):  # a merge took the account away meanwhile
                    self.table.update(
                        item["PK"],
                        item["SK"],
                        "REMOVE phone, phone_hash SET erased = :t, version = version + :one",
                        condition="attribute_exists(PK)",
                        vals={":t": True, ":one": 1},
                    )
            elif entity == "loyalty_event" and "reason" in item:
                self.table.update(item["PK"], item["SK"], "REMOVE reason", condition="attribute_exists(PK)")
            elif entity == "loyalty_op" and "reason" in item.get("event", {}):
                self.table.update(
                    item["PK"], item["SK"], "REMOVE #e.reason", condition="attribute_exists(PK)", names={"#e": "event"}
                )


def explain(exc: TransactionCancelled) -> None:
    cancelled = exc.cancelled
    if cancelled.failed("customer"):
        raise CustomerMissing() from exc
    if cancelled.failed("loyalty_marker"):
        raise AlreadyDone(cancelled.old("loyalty_marker")) from exc
    if cancelled.failed("loyalty_phone"):
        old = cancelled.old("loyalty_phone") or {}
        raise PhoneTaken(old.get("customer_id")) from exc
    if cancelled.conflict or cancelled.failures():
        raise StaleAccount() from exc


def sale_marker(merchant_id: str, customer_id: str, sale_id: str, points: int, amount: int) -> Item:
    return {
        "PK": partitions.customer_pk(merchant_id, customer_id),
        "SK": keys.sale_marker_sk(sale_id),
        "entity": "loyalty_sale",
        "sale_id": sale_id,
        "points": points,
        "amount": amount,
        "reversed": 0,
    }


def operation_marker(merchant_id: str, customer_id: str, operation_id: str, request_hash: str, event: Event) -> Item:
    return {
        "PK": partitions.customer_pk(merchant_id, customer_id),
        "SK": keys.operation_sk(operation_id),
        "entity": "loyalty_op",
        "request_hash": request_hash,
        "event": event.model_dump(mode="json", exclude_none=True),
    }
