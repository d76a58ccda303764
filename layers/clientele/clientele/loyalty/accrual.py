"""The sales context's port into loyalty: a sale's points, written in the sale's own transaction.

``sales`` sits above ``loyalty`` (pyproject's layers contract). Recording a sale for a customer, the sales
context adds :meth:`SaleAccrual.keys` to the one ``BatchGetItem`` it already makes for the customer's counters,
hands what it found to :meth:`SaleAccrual.plan`, and adds the returned operations to the sale's transaction.
The accrual is guarded twice, by storage: the sale's marker on the account (``LOYALTY#SALE#{sale}``) must not
exist, and the account must still be at the version read. A retried, replayed or concurrent sale therefore
accrues exactly once, and no read beyond the sale's own is spent.
"""

from __future__ import annotations

from dataclasses import dataclass

from clientele.kernel import clock
from clientele.loyalty import keys, rules
from clientele.loyalty.model import Account, Accrual, EventType, Program, SalePoints
from clientele.loyalty.repository import Change, LoyaltyRepository, sale_marker
from clientele.loyalty.service import expire, new_event
from clientele.storage.table import Item, Transaction


@dataclass(frozen=True)
class SaleFacts:
    """What loyalty needs to know of a sale (kept free of the sales context's types)."""

    merchant_id: str
    customer_id: str
    sale_id: str
    kind: str  # purchase, refund, exchange
    amount: int  # minor units; a refund's is positive, an exchange's may be negative
    at: str
    refund_of: str | None = None


@dataclass
class SalePlan:
    transaction: Transaction
    points: SalePoints


class SaleAccrual:
    def __init__(self, repository: LoyaltyRepository) -> None:
        self.repository = repository

    def keys(self, merchant_id: str, customer_id: str, refund_of: str | None) -> list[tuple[str, str]]:
        """The items a sale needs read: the account, the program, and the refunded sale's marker."""
        wanted = [keys.account_key(merchant_id, customer_id), keys.program_key(merchant_id)]
        if refund_of:
            wanted.append((keys.account_key(merchant_id, customer_id)[0], keys.sale_marker_sk(refund_of)))
        return wanted

    def plan(self, sale: SaleFacts, found: dict[tuple[str, str], Item]) -> SalePlan | None:
        """The operations that move the account for this sale, or None when the customer is not enrolled (or
        the merchant has no program)."""
        account_key = keys.account_key(sale.merchant_id, sale.customer_id)
        account = self.repository.to_account(found.get(account_key))
        program = self.repository.to_program(found.get(keys.program_key(sale.merchant_id)))
        if account is None or account.erased or program is None:
            return None
        read_version = account.version
        events = expire(account, program, clock.parse(sale.at))
        change = Change(account=account, read_version=read_version, events=events)
        gained = self._decide(sale, account, program, change, found)
        account.version = read_version + 1
        account.last_visit_at = max(account.last_visit_at, sale.at)
        marker = sale_marker(sale.merchant_id, sale.customer_id, sale.sale_id, gained, sale.amount)
        if change.reverses:
            marker["reverses"] = change.reverses
        change.markers.append(marker)
        tx = self.repository.table.transaction()
        self.repository.add_change(tx, change)
        return SalePlan(tx, SalePoints(points_earned=gained, balance=account.balance))

    def _decide(
        self, sale: SaleFacts, account: Account, program: Program, change: Change, found: dict[tuple[str, str], Item]
    ) -> int:
        spent = sale.amount if sale.kind != "refund" else -sale.amount
        if spent > 0:
            earned = rules.earn(program, spent, account.remainder)
            account.remainder = earned.remainder
            if earned.points:
                change.events.append(new_event(account, EventType.ACCRUE, earned.points, sale.at, sale_id=sale.sale_id))
            return earned.points
        if spent == 0:
            return 0
        original = None
        pk, sk = keys.account_key(sale.merchant_id, sale.customer_id)[0], keys.sale_marker_sk(sale.refund_of or "")
        if sale.refund_of:
            marker = found.get((pk, sk))
            if marker is None:
                return 0  # the named sale earned nothing on this account: nothing to take back
            original = rules.Original(int(marker["points"]), int(marker["amount"]), int(marker.get("reversed", 0)))
        wanted = rules.points_to_reverse(program, -spent, original)
        taken = rules.floor(wanted, account.balance, allow_negative=program.allow_negative)
        if original is not None and wanted:
            change.marker_updates.append((pk, sk, original.reversed, original.reversed + wanted))
            change.reverses = wanted  # kept on the refund's marker: taking the refund off gives it back
        if taken:
            change.events.append(new_event(account, EventType.REVERSE, -taken, sale.at, sale_id=sale.sale_id))
        return -taken

    # A sale's customer taken off ----------------------------------------------------------------
    def detach_keys(
        self, merchant_id: str, customer_id: str, sale_id: str, refund_of: str | None
    ) -> list[tuple[str, str]]:
        """The items taking a sale off its customer needs read: the account, the program, the sale's marker and
        (a refund) the refunded sale's marker."""
        pk = keys.account_key(merchant_id, customer_id)[0]
        return [*self.keys(merchant_id, customer_id, refund_of), (pk, keys.sale_marker_sk(sale_id))]

    def take_back(self, sale: SaleFacts, found: dict[tuple[str, str], Item]) -> SalePlan | None:
        """The operations that take a sale's points back off the account it was attached to, or None when it
        moved none. The sale's marker goes (guarded by what was read), so attaching the sale again, to anyone,
        accrues again once. Points it earned and no refund took back are reversed, down to a balance of 0
        unless the program allows negative balances (as a refund's); points a refund took are given back,
        and what it had reversed of its sale is returned to that sale's marker."""
        account_key = keys.account_key(sale.merchant_id, sale.customer_id)
        pk = account_key[0]
        marker = found.get((pk, keys.sale_marker_sk(sale.sale_id)))
        account = self.repository.to_account(found.get(account_key))
        program = self.repository.to_program(found.get(keys.program_key(sale.merchant_id)))
        if marker is None or account is None or account.erased:
            return None
        read_version = account.version
        change = Change(account=account, read_version=read_version)
        earned, reversed_ = int(marker.get("points", 0)), int(marker.get("reversed", 0))
        moved = 0
        if earned > 0:
            wanted = max(earned - reversed_, 0)
            moved = -rules.floor(wanted, account.balance, allow_negative=bool(program and program.allow_negative))
        elif earned < 0:
            moved = -earned  # the points a refund took come back
        if moved:
            change.events.append(new_event(account, EventType.REVERSE, moved, sale.at, sale_id=sale.sale_id))
        spent = sale.amount if sale.kind != "refund" else -sale.amount
        if program is not None and program.accrual is Accrual.PER_AMOUNT and spent > 0:
            # What the sale carried over towards the next point goes too: attached again, it earns the same.
            account.remainder = (account.remainder - spent) % program.unit_amount
        reverses = int(marker.get("reverses", 0))
        original = found.get((pk, keys.sale_marker_sk(sale.refund_of))) if sale.refund_of else None
        if original is not None and reverses:
            was = int(original.get("reversed", 0))
            change.marker_updates.append((pk, original["SK"], was, max(was - reverses, 0)))
        account.version = read_version + 1
        tx = self.repository.table.transaction()
        self.repository.add_change(tx, change)
        tx.delete(
            "loyalty_marker_gone",
            pk,
            keys.sale_marker_sk(sale.sale_id),
            condition="points = :p AND (attribute_not_exists(reversed) OR reversed = :r)",
            vals={":p": earned, ":r": reversed_},
        )
        return SalePlan(tx, SalePoints(points_earned=moved, balance=account.balance))
