"""Money and the amount rules of a sale (``sales.service.check_amounts``)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from clientele.kernel.errors import ValidationFailed
from clientele.kernel.money import Money
from clientele.sales.model import SaleLine, SaleType
from clientele.sales.service import SaleDraft, check_amounts


def eur(amount: int, currency: str = "EUR") -> Money:
    return Money(amount=amount, currency=currency)


def line(quantity: int, unit: int, total: int | None = None, currency: str = "EUR") -> SaleLine:
    return SaleLine(
        description="item",
        quantity=quantity,
        unit_price=eur(unit, currency),
        total=eur(unit * quantity if total is None else total, currency),
    )


def refused(draft: SaleDraft, currency: str = "EUR") -> tuple[str, str | None]:
    with pytest.raises(ValidationFailed) as caught:
        check_amounts(draft, currency)
    assert caught.value.status == 422
    detail = caught.value.details[0]
    return detail.code, detail.field


class TestMoney:
    def test_money_is_a_value(self) -> None:
        assert eur(1250) == Money(amount=1250, currency="EUR")
        assert eur(1250) != eur(1250, "GBP")
        assert eur(1250) != eur(1251)

    def test_amounts_are_whole_minor_units(self) -> None:
        with pytest.raises(ValidationError):
            Money(amount=12.5, currency="EUR")  # type: ignore[arg-type]

    def test_money_has_no_other_fields(self) -> None:
        with pytest.raises(ValidationError):
            Money(amount=1, currency="EUR", cents=True)  # type: ignore[call-arg]
        with pytest.raises(ValidationError):
            Money(amount=1)  # type: ignore[call-arg]


class TestCurrency:
    def test_the_total_must_be_in_the_sites_currency(self) -> None:
        assert refused(SaleDraft(SaleType.PURCHASE, eur(500, "GBP"))) == ("CURRENCY_MISMATCH", "total.currency")

    def test_the_same_sale_passes_at_a_site_of_its_currency(self) -> None:
        check_amounts(SaleDraft(SaleType.PURCHASE, eur(500, "GBP")), "GBP")

    def test_every_line_must_be_in_the_sites_currency(self) -> None:
        draft = SaleDraft(SaleType.PURCHASE, eur(700), lines=[line(1, 200), line(1, 500, currency="USD")])
        assert refused(draft) == ("CURRENCY_MISMATCH", "lines.1")

    def test_a_line_whose_total_alone_is_in_another_currency_is_refused(self) -> None:
        odd = SaleLine(description="x", quantity=1, unit_price=eur(500), total=eur(500, "USD"))
        assert refused(SaleDraft(SaleType.PURCHASE, eur(500), lines=[odd])) == ("CURRENCY_MISMATCH", "lines.0")


class TestLinesAddUp:
    def test_lines_that_add_up_pass(self) -> None:
        check_amounts(SaleDraft(SaleType.PURCHASE, eur(2 * 350 + 1299), lines=[line(2, 350), line(1, 1299)]), "EUR")

    def test_a_line_total_is_quantity_times_unit_price(self) -> None:
        draft = SaleDraft(SaleType.PURCHASE, eur(700), lines=[line(1, 0, total=0), line(3, 250, total=700)])
        assert refused(draft) == ("LINE_TOTAL_MISMATCH", "lines.1.total")

    def test_the_total_is_the_sum_of_the_lines(self) -> None:
        draft = SaleDraft(SaleType.PURCHASE, eur(1000), lines=[line(2, 350), line(1, 299)])
        assert refused(draft) == ("TOTAL_MISMATCH", "total.amount")

    def test_a_sale_without_lines_is_checked_on_its_total_only(self) -> None:
        check_amounts(SaleDraft(SaleType.PURCHASE, eur(4321)), "EUR")
        check_amounts(SaleDraft(SaleType.PURCHASE, eur(0)), "EUR")

    def test_a_discount_line_may_be_negative_when_the_lines_add_up(self) -> None:
        check_amounts(SaleDraft(SaleType.PURCHASE, eur(900), lines=[line(1, 1000), line(1, -100)]), "EUR")

    def test_currency_is_checked_before_the_arithmetic(self) -> None:
        # Both wrong: the currency is what the caller must fix first.
        draft = SaleDraft(SaleType.PURCHASE, eur(1, "USD"), lines=[line(1, 5, currency="USD")])
        assert refused(draft)[0] == "CURRENCY_MISMATCH"


class TestSigns:
    @pytest.mark.parametrize("kind", [SaleType.PURCHASE, SaleType.REFUND])
    def test_purchases_and_refunds_are_never_negative(self, kind: SaleType) -> None:
        assert refused(SaleDraft(kind, eur(-1))) == ("INVALID_AMOUNT", "total.amount")

    def test_a_refund_is_money_back_given_as_a_positive_amount(self) -> None:
        check_amounts(SaleDraft(SaleType.REFUND, eur(1999), lines=[line(1, 1999)]), "EUR")

    @pytest.mark.parametrize("amount", [-1500, 0, 1500])
    def test_an_exchange_may_go_either_way(self, amount: int) -> None:
        # The shopper gets money back (negative), pays the difference (positive), or swaps like for like.
        check_amounts(SaleDraft(SaleType.EXCHANGE, eur(amount)), "EUR")

    def test_an_exchange_with_lines_still_adds_up(self) -> None:
        lines = [line(1, -2500), line(1, 1000)]
        check_amounts(SaleDraft(SaleType.EXCHANGE, eur(-1500), lines=lines), "EUR")
        assert refused(SaleDraft(SaleType.EXCHANGE, eur(1500), lines=lines)) == ("TOTAL_MISMATCH", "total.amount")


class TestFingerprint:
    def test_the_same_request_has_the_same_fingerprint_and_any_change_another(self) -> None:
        base = SaleDraft(SaleType.PURCHASE, eur(700), lines=[line(2, 350)], site_id="site_a")
        same = SaleDraft(SaleType.PURCHASE, eur(700), lines=[line(2, 350)], site_id="site_a")
        assert base.fingerprint() == same.fingerprint()
        others = [
            SaleDraft(SaleType.REFUND, eur(700), lines=[line(2, 350)], site_id="site_a"),
            SaleDraft(SaleType.PURCHASE, eur(700, "GBP"), lines=[line(2, 350)], site_id="site_a"),
            SaleDraft(SaleType.PURCHASE, eur(700), lines=[line(1, 700)], site_id="site_a"),
            SaleDraft(SaleType.PURCHASE, eur(700), lines=[line(2, 350)], site_id="site_b"),
            SaleDraft(SaleType.PURCHASE, eur(700), lines=[line(2, 350)], site_id="site_a", customer_id="cus_1"),
        ]
        assert len({base.fingerprint(), *(o.fingerprint() for o in others)}) == len(others) + 1
