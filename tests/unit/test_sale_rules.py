"""What a sale moves (``sales.rules.effects``) and what erasing its customer takes back (``erased_customer``)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from clientele.kernel.money import Money
from clientele.sales.model import Sale, SaleType
from clientele.sales.rules import (
    ALL_SITES,
    CounterState,
    MerchantCounts,
    SaleEffects,
    effects,
    erased_customer,
)

DAY = date(2026, 3, 14)


def sale(
    kind: SaleType = SaleType.PURCHASE,
    amount: int = 1250,
    site: str = "site_a",
    day: date = DAY,
    currency: str = "EUR",
    at: str = "2026-03-14T10:00:00.000Z",
) -> Sale:
    return Sale(
        id="sale_1",
        merchant_id="mer_1",
        site_id=site,
        type=kind,
        total=Money(amount=amount, currency=currency),
        customer_id="cus_1",
        occurred_at=at,
        local_date=day,
        created_by="key_1",
    )


def merchant(moved: SaleEffects) -> dict[tuple[str, str | None], tuple[int, int, int]]:
    """Each merchant counter item moved, as (sales, customers, returning customers)."""
    found = {(m.scope, m.day): (m.sales, m.customers, m.returning_customers) for m in moved.merchant}
    assert len(found) == len(moved.merchant), "a counter item is moved twice"
    return found


def four(scope_all: tuple[int, int, int], at_site: tuple[int, int, int], site: str = "site_a", day: date = DAY):
    return {
        (ALL_SITES, None): scope_all,
        (ALL_SITES, day.isoformat()): scope_all,
        (site, None): at_site,
        (site, day.isoformat()): at_site,
    }


class TestMerchantCounters:
    def test_a_first_visit_counts_a_customer_everywhere_and_a_sale_in_every_scope(self) -> None:
        moved = effects(sale(), CounterState())
        assert merchant(moved) == four((1, 1, 0), (1, 1, 0))
        assert moved.first_at_site

    def test_a_known_customer_at_a_new_site_is_new_there_only(self) -> None:
        moved = effects(sale(site="site_b"), CounterState(sale_count=3, purchase_count=3))
        assert merchant(moved) == four((1, 0, 0), (1, 1, 0), site="site_b")
        assert moved.first_at_site

    def test_the_second_purchase_makes_a_returning_customer_overall_and_at_the_site(self) -> None:
        state = CounterState(sale_count=1, purchase_count=1, site_sale_count=1, site_purchase_count=1)
        moved = effects(sale(), state)
        assert merchant(moved) == four((1, 0, 1), (1, 0, 1))
        assert not moved.first_at_site

    def test_a_second_purchase_overall_that_is_the_first_at_a_site(self) -> None:
        moved = effects(sale(site="site_b"), CounterState(sale_count=1, purchase_count=1))
        assert merchant(moved) == four((1, 0, 1), (1, 1, 0), site="site_b")

    def test_a_second_purchase_at_a_site_that_is_the_third_overall(self) -> None:
        state = CounterState(sale_count=2, purchase_count=2, site_sale_count=1, site_purchase_count=1)
        assert merchant(effects(sale(), state)) == four((1, 0, 0), (1, 0, 1))

    def test_later_purchases_do_not_count_the_customer_again(self) -> None:
        state = CounterState(sale_count=5, purchase_count=4, site_sale_count=5, site_purchase_count=4)
        assert merchant(effects(sale(), state)) == four((1, 0, 0), (1, 0, 0))

    def test_returning_counts_purchases_not_visits(self) -> None:
        # One refund and one exchange before: the first purchase is not a return visit.
        after_two_other_sales = CounterState(sale_count=2, purchase_count=0, site_sale_count=2, site_purchase_count=0)
        assert merchant(effects(sale(), after_two_other_sales)) == four((1, 0, 0), (1, 0, 0))
        # A purchase before, then a refund or exchange: still not returning.
        after_one_purchase = CounterState(sale_count=1, purchase_count=1, site_sale_count=1, site_purchase_count=1)
        for kind in (SaleType.REFUND, SaleType.EXCHANGE):
            assert merchant(effects(sale(kind), after_one_purchase)) == four((1, 0, 0), (1, 0, 0))

    def test_a_refund_or_exchange_can_be_a_first_visit(self) -> None:
        for kind in (SaleType.REFUND, SaleType.EXCHANGE):
            assert merchant(effects(sale(kind), CounterState())) == four((1, 1, 0), (1, 1, 0))

    def test_the_day_is_the_sites_local_date_not_the_utc_date(self) -> None:
        late = sale(day=date(2026, 3, 15), at="2026-03-14T23:30:00.000Z")
        days = {m.day for m in effects(late, CounterState()).merchant}
        assert days == {None, "2026-03-15"}


class TestCustomerCounters:
    def test_the_customer_items_carry_what_was_read(self) -> None:
        state = CounterState(sale_count=7, purchase_count=5, site_sale_count=2, site_purchase_count=1)
        overall, at_site = effects(sale(), state).customer
        assert (overall.scope, overall.sales_seen, overall.purchases_seen) == (ALL_SITES, 7, 5)
        assert (at_site.scope, at_site.sales_seen, at_site.purchases_seen) == ("site_a", 2, 1)

    def test_a_purchase_adds_its_amount(self) -> None:
        for counts in effects(sale(amount=1250, currency="GBP"), CounterState()).customer:
            assert (counts.purchase, counts.refund, counts.exchange) == (1, 0, 0)
            assert (counts.spent, counts.currency, counts.at) == (1250, "GBP", "2026-03-14T10:00:00.000Z")

    def test_a_refund_takes_its_amount_back(self) -> None:
        for counts in effects(sale(SaleType.REFUND, amount=1250), CounterState(1, 1, 1, 1)).customer:
            assert (counts.purchase, counts.refund, counts.exchange) == (0, 1, 0)
            assert counts.spent == -1250

    def test_an_exchange_adds_its_signed_difference(self) -> None:
        for amount in (-800, 0, 300):
            for counts in effects(sale(SaleType.EXCHANGE, amount=amount), CounterState(1, 1, 1, 1)).customer:
                assert (counts.purchase, counts.refund, counts.exchange) == (0, 0, 1)
                assert counts.spent == amount


class TestErasure:
    def test_a_customer_with_no_sales_takes_nothing_back(self) -> None:
        assert erased_customer([]) == []
        assert erased_customer([(ALL_SITES, 0, 0), ("site_a", 0, 0)]) == []

    def test_each_scope_loses_the_customer_and_a_returning_customer_only_after_two_purchases(self) -> None:
        lost = erased_customer([(ALL_SITES, 4, 2), ("site_a", 3, 1), ("site_b", 1, 1), ("site_c", 0, 0)])
        assert lost == [
            MerchantCounts(ALL_SITES, None, sales=0, customers=-1, returning_customers=-1),
            MerchantCounts("site_a", None, sales=0, customers=-1, returning_customers=0),
            MerchantCounts("site_b", None, sales=0, customers=-1, returning_customers=0),
        ]

    def test_sales_and_day_counters_are_kept(self) -> None:
        for moved in erased_customer([(ALL_SITES, 9, 9), ("site_a", 9, 9)]):
            assert moved.sales == 0 and moved.day is None


SALES = st.lists(
    st.tuples(
        st.sampled_from([SaleType.PURCHASE, SaleType.PURCHASE, SaleType.REFUND, SaleType.EXCHANGE]),
        st.sampled_from(["site_a", "site_b", "site_c"]),
        st.integers(min_value=0, max_value=3),  # days after the first sale
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None, database=None)
@given(SALES)
def test_erasing_a_customer_takes_back_exactly_what_their_sales_added(history: list) -> None:
    customer: dict[str, list[int]] = {}  # scope -> [sale_count, purchase_count], as the customer items hold
    totals: Counter[tuple[str, str | None, str]] = Counter()
    for kind, site, days in history:
        overall, here = customer.get(ALL_SITES, [0, 0]), customer.get(site, [0, 0])
        state = CounterState(overall[0], overall[1], here[0], here[1])
        moved = effects(sale(kind, site=site, day=DAY + timedelta(days=days)), state)
        for counts in moved.customer:
            assert counts.sales_seen == customer.get(counts.scope, [0, 0])[0]
            kept = customer.setdefault(counts.scope, [0, 0])
            kept[0] += 1
            kept[1] += counts.purchase
        for m in moved.merchant:
            totals[(m.scope, m.day, "sales")] += m.sales
            totals[(m.scope, m.day, "customers")] += m.customers
            totals[(m.scope, m.day, "returning")] += m.returning_customers

    sites = {site for _, site, _ in history}
    for scope in {ALL_SITES, *sites}:
        made = [s for _, s, _ in history if scope in (ALL_SITES, s)]
        assert totals[(scope, None, "sales")] == len(made)
        assert totals[(scope, None, "customers")] == int(bool(made))
        # The per-day counters add up to the all-time ones.
        for what in ("sales", "customers", "returning"):
            assert (
                sum(v for (s, d, w), v in totals.items() if s == scope and d is not None and w == what)
                == totals[(scope, None, what)]
            )

    for m in erased_customer([(scope, counts[0], counts[1]) for scope, counts in customer.items()]):
        assert m.day is None
        totals[(m.scope, None, "sales")] += m.sales
        totals[(m.scope, None, "customers")] += m.customers
        totals[(m.scope, None, "returning")] += m.returning_customers
    for scope in {ALL_SITES, *sites}:
        assert totals[(scope, None, "customers")] == 0
        assert totals[(scope, None, "returning")] == 0
        assert totals[(scope, None, "sales")] == sum(1 for _, s, _ in history if scope in (ALL_SITES, s))
