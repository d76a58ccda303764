"""What attaching a sale to a customer moves, and detaching it takes back (``sales.rules.attach_moves``,
``detach_moves``): any sequence of attaches and detaches leaves the counters a recompute would give."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from clientele.kernel.money import Money
from clientele.sales.model import Sale, SaleType
from clientele.sales.rules import ALL_SITES, MerchantCounts, Move, Standing, attach_moves, detach_moves

DAY = date(2026, 3, 14)


def sale(index: int, kind: SaleType, day_offset: int, site: str) -> Sale:
    day = DAY + timedelta(days=day_offset)
    return Sale(
        id=f"sale_{index}",
        merchant_id="mer_1",
        site_id=site,
        type=kind,
        total=Money(amount=100 * (index + 1), currency="EUR"),
        occurred_at=f"{day.isoformat()}T10:00:{index:02d}.000Z",
        local_date=day,
        created_by="key_1",
    )


class Store:
    """The customer's counter items and the merchant's, as the transactions leave them."""

    def __init__(self) -> None:
        self.items: dict[str, Standing] = {}
        self.spent: Counter[str] = Counter()
        self.merchant: Counter[tuple[str, str | None, str]] = Counter()
        self.attached: dict[str, Sale] = {}

    def standing(self, scope: str) -> Standing:
        return self.items.get(scope, Standing(scope=scope))

    def apply(self, moves: list[Move], merchant: list[MerchantCounts]) -> None:
        for move in moves:
            was = move.standing
            self.spent[was.scope] += move.spent
            if move.delete:
                self.items.pop(was.scope, None)
                continue
            self.items[was.scope] = Standing(
                scope=was.scope,
                sale_count=was.sale_count + move.sign,
                purchase_count=was.purchase_count + move.purchase,
                first_visit_at=move.first_visit_at,
                last_visit_at=move.last_visit_at,
                first_day=move.first_day,
                returning_day=move.returning_day,
            )
        for counts in merchant:
            self.merchant[(counts.scope, counts.day, "sales")] += counts.sales
            self.merchant[(counts.scope, counts.day, "customers")] += counts.customers
            self.merchant[(counts.scope, counts.day, "returning")] += counts.returning_customers

    def attach(self, s: Sale) -> None:
        self.apply(*attach_moves(s, (self.standing(ALL_SITES), self.standing(s.site_id))))
        self.attached[s.id] = s

    def detach(self, s: Sale) -> None:
        del self.attached[s.id]

        def ends(sales: list[Sale]) -> tuple[str | None, str | None]:
            times = [x.occurred_at for x in sales]
            return (min(times), max(times)) if times else (None, None)

        others = list(self.attached.values())
        visits = (ends(others), ends([x for x in others if x.site_id == s.site_id]))
        self.apply(*detach_moves(s, (self.standing(ALL_SITES), self.standing(s.site_id)), visits))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(list(SaleType)), st.integers(0, 3), st.sampled_from(["site_a", "site_b"])),
        min_size=1,
        max_size=6,
    ),
    st.lists(st.integers(0, 5), max_size=20),
)
def test_any_attaches_and_detaches_leave_what_a_recompute_gives(
    plan: list[tuple[SaleType, int, str]], toggles: list[int]
) -> None:
    sales = [sale(i, kind, offset, site) for i, (kind, offset, site) in enumerate(plan)]
    store = Store()
    for toggle in toggles:
        chosen = sales[toggle % len(sales)]
        if chosen.id in store.attached:
            store.detach(chosen)
        else:
            store.attach(chosen)
        attached = list(store.attached.values())
        for scope in (ALL_SITES, "site_a", "site_b"):
            mine = [s for s in attached if scope == ALL_SITES or s.site_id == scope]
            purchases = sum(1 for s in mine if s.type is SaleType.PURCHASE)
            assert store.standing(scope).sale_count == len(mine)
            assert store.standing(scope).purchase_count == purchases
            assert store.merchant[(scope, None, "sales")] == len(mine)
            assert store.merchant[(scope, None, "customers")] == int(bool(mine))
            assert store.merchant[(scope, None, "returning")] == int(purchases >= 2)
            day_sales = sum(
                v for (sc, day, name), v in store.merchant.items() if sc == scope and day and name == "sales"
            )
            assert day_sales == len(mine)
            days = [v for (sc, day, name), v in store.merchant.items() if sc == scope and day and name == "customers"]
            assert sum(days) == int(bool(mine)) and all(v in (0, 1) for v in days)
            if mine:
                assert store.standing(scope).first_visit_at == min(s.occurred_at for s in mine)
                assert store.standing(scope).last_visit_at == max(s.occurred_at for s in mine)
            signed = sum(-s.total.amount if s.type is SaleType.REFUND else s.total.amount for s in mine)
            assert store.spent[scope] == signed
    for s in list(store.attached.values()):
        store.detach(s)
    assert not store.items and all(v == 0 for v in store.merchant.values())


def test_a_detach_takes_the_customer_back_off_the_day_they_were_counted() -> None:
    """Counted as new on the 14th (their first sale), then an older sale attached: taking both off takes the
    customer off the 14th, not off the older sale's day."""
    store = Store()
    first, older = sale(0, SaleType.PURCHASE, 0, "site_a"), sale(1, SaleType.PURCHASE, -3, "site_a")
    store.attach(first)
    store.attach(older)
    assert store.merchant[(ALL_SITES, DAY.isoformat(), "customers")] == 1
    assert store.merchant[(ALL_SITES, older.local_date.isoformat(), "customers")] == 0
    assert store.merchant[(ALL_SITES, older.local_date.isoformat(), "returning")] == 1
    store.detach(first)
    assert store.merchant[(ALL_SITES, DAY.isoformat(), "customers")] == 1  # still a customer since the 14th
    store.detach(older)
    assert all(v == 0 for v in store.merchant.values())
