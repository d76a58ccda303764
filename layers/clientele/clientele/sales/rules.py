"""What a sale changes, decided once, without I/O: the repository writes it, erasure takes it back.

A sale linked to a customer moves the customer's counters (overall and at the sale's site) and the
merchant's counters (all sites and the sale's site, all time and the sale's local day). Whether it is the
customer's first visit, or makes them a returning customer, depends on what the counters held before;
those facts are what the overview counts, and what erasure must take back when the customer goes.
"""

from __future__ import annotations

from dataclasses import dataclass

from clientele.sales.model import Sale, SaleType

ALL_SITES = "ALL"  # the scope of counters over every site
RETURNING_AFTER = 2  # purchases that make a customer "returning" (their second purchase)


@dataclass(frozen=True)
class CounterState:
    """What a customer's counters held when read (overall and at the sale's site)."""

    sale_count: int = 0
    purchase_count: int = 0
    site_sale_count: int = 0
    site_purchase_count: int = 0


@dataclass(frozen=True)
class CustomerCounts:
    """The additions to one of a customer's counter items (overall, or at one site)."""

    scope: str  # ALL_SITES or a site id
    sales_seen: int  # what the item held when read: the transaction checks it still holds
    purchases_seen: int
    purchase: int
    refund: int
    exchange: int
    spent: int  # signed: a refund takes the amount back
    currency: str
    at: str


@dataclass(frozen=True)
class MerchantCounts:
    """The additions to one of the merchant's counter items."""

    scope: str  # ALL_SITES or a site id
    day: str | None  # None: all time; else the sale's local date (ISO)
    sales: int = 0
    customers: int = 0  # customers whose first visit (in this scope) this was
    returning_customers: int = 0  # customers who made their second purchase (in this scope)


@dataclass(frozen=True)
class SaleEffects:
    """Everything a sale linked to a customer moves."""

    customer: tuple[CustomerCounts, CustomerCounts]  # overall, at the site
    merchant: tuple[MerchantCounts, ...]
    first_at_site: bool  # the profile gains the site among those visited


def signed_amount(sale: Sale) -> int:
    return -sale.total.amount if sale.type is SaleType.REFUND else sale.total.amount


def effects(sale: Sale, state: CounterState) -> SaleEffects:
    """What ``sale`` (with a customer) moves, given the customer's counters before it."""
    purchase = sale.type is SaleType.PURCHASE
    first_visit = state.sale_count == 0
    first_at_site = state.site_sale_count == 0
    returning = purchase and state.purchase_count == RETURNING_AFTER - 1
    returning_at_site = purchase and state.site_purchase_count == RETURNING_AFTER - 1

    def customer(scope: str, sales_seen: int, purchases_seen: int) -> CustomerCounts:
        return CustomerCounts(
            scope=scope,
            sales_seen=sales_seen,
            purchases_seen=purchases_seen,
            purchase=int(purchase),
            refund=int(sale.type is SaleType.REFUND),
            exchange=int(sale.type is SaleType.EXCHANGE),
            spent=signed_amount(sale),
            currency=sale.total.currency,
            at=sale.occurred_at,
        )

    merchant = tuple(
        MerchantCounts(scope, day, sales=1, customers=int(first), returning_customers=int(became_returning))
        for scope, first, became_returning in (
            (ALL_SITES, first_visit, returning),
            (sale.site_id, first_at_site, returning_at_site),
        )
        for day in (None, sale.local_date.isoformat())
    )
    return SaleEffects(
        customer=(
            customer(ALL_SITES, state.sale_count, state.purchase_count),
            customer(sale.site_id, state.site_sale_count, state.site_purchase_count),
        ),
        merchant=merchant,
        first_at_site=first_at_site,
    )


def erased_customer(counts: list[tuple[str, int, int]]) -> list[MerchantCounts]:
    """What the merchant's all-time counters lose when a customer is erased.

    ``counts``: per scope (``ALL_SITES`` or a site), the customer's ``(scope, sale_count, purchase_count)``.
    The customer stops counting among the customers and returning customers of each scope; sales stay
    counted (they stay, without the customer). Day counters keep their history.
    """
    lost = []
    for scope, sale_count, purchase_count in counts:
        customers = int(sale_count > 0)
        returning = int(purchase_count >= RETURNING_AFTER)
        if customers or returning:
            lost.append(MerchantCounts(scope, None, customers=-customers, returning_customers=-returning))
    return lost


RECEIPT_CODE_LENGTH = 6


def receipt_number(sale: Sale) -> str:
    """The number a receipt prints: the sale's local day and the last characters of its id, e.g.
    ``20261201-7KQ2XM``. It names the sale for a return at the counter (the id's tail is random, so two
    sales of one day at one merchant share a number about once in a billion), and needs no counter."""
    code = sale.id.rsplit("_", 1)[-1][-RECEIPT_CODE_LENGTH:].upper()
    return f"{sale.local_date:%Y%m%d}-{code}"


# ------------------------------------------------------------------ a customer given to, or taken off, a sale
@dataclass(frozen=True)
class Standing:
    """One of a customer's counter items as read before a sale is attached or detached: every value here is
    guarded exactly by the transaction, so a concurrent sale or attach makes it fail and the caller reads again.
    ``first_day`` and ``returning_day`` are the local days the merchant's day counters counted the customer
    (as a new customer, as a returning one) in this scope; older items lack them."""

    scope: str  # ALL_SITES or a site id
    sale_count: int = 0
    purchase_count: int = 0
    first_visit_at: str | None = None
    last_visit_at: str | None = None
    first_day: str | None = None
    returning_day: str | None = None


@dataclass(frozen=True)
class Move:
    """What an attach (``sign`` 1) or a detach (-1) does to one customer counter item. The visit fields are
    the values after (None: removed); ``delete``: the detach takes the scope's last sale, the item goes."""

    standing: Standing
    sign: int
    purchase: int
    refund: int
    exchange: int
    spent: int
    currency: str
    first_visit_at: str | None
    last_visit_at: str | None
    first_day: str | None
    returning_day: str | None
    delete: bool = False


def _kinds(sale: Sale, sign: int) -> tuple[int, int, int]:
    """The additions to purchase, refund and exchange counts."""
    return (
        sign * int(sale.type is SaleType.PURCHASE),
        sign * int(sale.type is SaleType.REFUND),
        sign * int(sale.type is SaleType.EXCHANGE),
    )


def attach_moves(sale: Sale, standings: tuple[Standing, Standing]) -> tuple[list[Move], list[MerchantCounts]]:
    """What attaching ``sale`` moves: the customer's counters (overall, at the site) and the merchant's, as
    recording it with the customer would have. The visits stretch to take the sale in, whenever it was."""
    day = sale.local_date.isoformat()
    purchase = sale.type is SaleType.PURCHASE
    kinds = _kinds(sale, 1)
    moves, merchant = [], []
    for was in standings:
        first = was.sale_count == 0
        returning = purchase and was.purchase_count == RETURNING_AFTER - 1
        moves.append(
            Move(
                standing=was,
                sign=1,
                purchase=kinds[0],
                refund=kinds[1],
                exchange=kinds[2],
                spent=signed_amount(sale),
                currency=sale.total.currency,
                first_visit_at=min(filter(None, (was.first_visit_at, sale.occurred_at))),
                last_visit_at=max(filter(None, (was.last_visit_at, sale.occurred_at))),
                first_day=day if first else was.first_day,
                returning_day=day if returning else was.returning_day,
            )
        )
        merchant.append(MerchantCounts(was.scope, None, 1, int(first), int(returning)))
        merchant.append(MerchantCounts(was.scope, day, 1, int(first), int(returning)))
    return moves, _merged(merchant)


def detach_moves(
    sale: Sale, standings: tuple[Standing, Standing], visits: tuple[tuple[str | None, str | None], ...]
) -> tuple[list[Move], list[MerchantCounts]]:
    """What taking ``sale`` off its customer moves: exactly what attaching it (or recording it with the
    customer) added, taken back. ``visits``: per scope, the first and last visit of the customer's other sales
    (None, None: none left). The customer stops counting as a customer (returning customer) of a scope on the
    day they were counted, when this sale was their only one (made them returning)."""
    day = sale.local_date.isoformat()
    purchase = sale.type is SaleType.PURCHASE
    kinds = _kinds(sale, -1)
    moves, merchant = [], []
    for was, (first_visit, last_visit) in zip(standings, visits, strict=True):
        last = was.sale_count <= 1
        unreturning = purchase and was.purchase_count == RETURNING_AFTER
        moves.append(
            Move(
                standing=was,
                sign=-1,
                purchase=kinds[0],
                refund=kinds[1],
                exchange=kinds[2],
                spent=-signed_amount(sale),
                currency=sale.total.currency,
                first_visit_at=first_visit,
                last_visit_at=last_visit,
                first_day=None if last else was.first_day,
                returning_day=None if unreturning else was.returning_day,
                delete=last,
            )
        )
        merchant.append(MerchantCounts(was.scope, None, -1, -int(last), -int(unreturning)))
        merchant.append(MerchantCounts(was.scope, day, -1))
        if last:
            merchant.append(MerchantCounts(was.scope, was.first_day or day, customers=-1))
        if unreturning:
            merchant.append(MerchantCounts(was.scope, was.returning_day or day, returning_customers=-1))
    return moves, _merged(merchant)


def _merged(counts: list[MerchantCounts]) -> list[MerchantCounts]:
    """One addition per counter item (a transaction touches an item once), without the empty ones."""
    by_item: dict[tuple[str, str | None], list[int]] = {}
    for c in counts:
        total = by_item.setdefault((c.scope, c.day), [0, 0, 0])
        total[0] += c.sales
        total[1] += c.customers
        total[2] += c.returning_customers
    return [MerchantCounts(scope, day, *totals) for (scope, day), totals in by_item.items() if any(totals)]
