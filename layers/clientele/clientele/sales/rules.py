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
