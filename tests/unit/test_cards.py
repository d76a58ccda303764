"""Card numbers are never accepted (``sales.cards``), and instant profiles take their names from the card."""

from __future__ import annotations

import random

import pytest

from clientele.kernel.errors import ValidationFailed
from clientele.sales.cards import looks_like_card_number, names_from_cardholder, refuse_card_numbers


def luhn_ok(number: str) -> bool:
    """The Luhn check, written out independently of the code under test."""
    digits = [int(d) for d in number]
    odd = digits[-1::-2]
    even = [sum(divmod(2 * d, 10)) for d in digits[-2::-2]]
    return (sum(odd) + sum(even)) % 10 == 0


def with_check_digit(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if luhn_ok(prefix + d))


def without_check_digit(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if not luhn_ok(prefix + d))


VISA = "4111111111111111"
AMEX = "378282246310005"
assert luhn_ok(VISA) and luhn_ok(AMEX)


class TestDetection:
    @pytest.mark.parametrize("length", range(13, 20))
    def test_any_luhn_valid_run_of_13_to_19_digits_is_a_card_number(self, length: int) -> None:
        number = with_check_digit("4" + "7" * (length - 2))
        assert len(number) == length
        assert looks_like_card_number(number, strict=False)
        assert looks_like_card_number(number, strict=True)

    @pytest.mark.parametrize("length", [1, 4, 11, 12])
    def test_shorter_runs_are_not_card_numbers_even_in_strict_mode(self, length: int) -> None:
        run = with_check_digit("4" * (length - 1)) if length > 1 else "0"
        assert not looks_like_card_number(run, strict=True)
        assert not looks_like_card_number(f"order {run}", strict=False)

    @pytest.mark.parametrize(
        "written",
        [
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "4111.1111.1111.1111",
            "3782 822463 10005",
            "paid with 4111111111111111 today",
            "ref:4111-1111-1111-1111.",
        ],
    )
    def test_card_numbers_are_found_whatever_their_separators_and_surroundings(self, written: str) -> None:
        assert looks_like_card_number(written, strict=False)

    def test_a_barcode_that_fails_the_luhn_check_passes_unless_strict(self) -> None:
        barcode = without_check_digit("871234567890")  # 13 digits, like an EAN-13
        assert not looks_like_card_number(f"Coffee beans {barcode}", strict=False)
        assert looks_like_card_number(f"Coffee beans {barcode}", strict=True)

    def test_random_digit_runs_are_found_exactly_when_they_pass_luhn(self) -> None:
        rng = random.Random(20260314)
        for _ in range(500):
            length = rng.randint(13, 19)
            run = "".join(rng.choice("0123456789") for _ in range(length))
            assert looks_like_card_number(f"x {run} y", strict=False) is luhn_ok(run)
            assert looks_like_card_number(f"x {run} y", strict=True)

    def test_text_without_long_digit_runs_is_never_a_card_number(self) -> None:
        for text in ["", "Ana Martins", "VISA", "2 x 350 = 700", "2026-03-14 12:30", "+31 6 1234 567"]:
            assert not looks_like_card_number(text, strict=True)

    @pytest.mark.parametrize(
        "written", ["4111 1111 1111 1111 123", "4111111111111111 12/27", "1 4111111111111111", "order 12 " + VISA]
    )
    def test_a_card_number_next_to_other_digits_is_still_found(self, written: str) -> None:
        assert looks_like_card_number(written, strict=False)


class TestRefusing:
    def test_the_field_holding_a_card_number_is_named(self) -> None:
        fields = {"card.brand": "visa", "card.cardholder_name": f"ANA {VISA}"}
        with pytest.raises(ValidationFailed) as caught:
            refuse_card_numbers(fields, strict=True)
        detail = caught.value.details[0]
        assert (detail.code, detail.field) == ("CARD_NUMBER_NOT_ALLOWED", "card.cardholder_name")
        assert caught.value.status == 422
        assert VISA not in detail.detail  # the number is never echoed back

    def test_every_field_is_looked_at(self) -> None:
        fields = {f"lines.{i}.description": "espresso" for i in range(5)}
        fields["lines.3.description"] = "gift card 3782-822463-10005"
        with pytest.raises(ValidationFailed) as caught:
            refuse_card_numbers(fields, strict=False)
        assert caught.value.details[0].field == "lines.3.description"

    def test_empty_and_missing_fields_and_harmless_text_pass(self) -> None:
        refuse_card_numbers({"a": None, "b": "", "c": "Ana Martins", "d": "tok_9f8e7d"}, strict=True)

    def test_strictness_decides_for_digit_runs_that_fail_luhn(self) -> None:
        barcode = without_check_digit("5412345678901")
        refuse_card_numbers({"lines.0.description": barcode}, strict=False)
        with pytest.raises(ValidationFailed):
            refuse_card_numbers({"card.brand": barcode}, strict=True)


class TestCardholderNames:
    @pytest.mark.parametrize(
        ("cardholder", "given", "family"),
        [
            ("MARTINS/ANA", "Ana", "Martins"),
            ("Ana Martins", "Ana", "Martins"),
            ("ANA MARTINS", "Ana", "Martins"),
            ("ana martins", "Ana", "Martins"),
            ("ANA MARIA MARTINS", "Ana Maria", "Martins"),
            ("DE LA CRUZ/MARIA", "Maria", "De La Cruz"),
            ("  Ana   Martins  ", "Ana", "Martins"),
            ("A.MARTINS", "A", "Martins"),
            ("Ana McDonald", "Ana", "McDonald"),  # mixed case is kept as written
            ("MCDONALD/ANA", "Ana", "Mcdonald"),  # all capitals: there is no way to know
        ],
    )
    def test_given_and_family_names(self, cardholder: str, given: str, family: str) -> None:
        assert names_from_cardholder(cardholder) == (given, family)

    @pytest.mark.parametrize(("cardholder", "given"), [("MADONNA", "Madonna"), ("Cher", "Cher")])
    def test_a_single_name_is_a_given_name(self, cardholder: str, given: str) -> None:
        assert names_from_cardholder(cardholder) == (given, None)

    @pytest.mark.parametrize(
        ("cardholder", "names"), [("MARTINS/", (None, "Martins")), ("/ANA", ("Ana", None)), ("   ", (None, None))]
    )
    def test_missing_parts_are_none_never_empty_strings(self, cardholder: str, names: tuple[str | None, ...]) -> None:
        assert names_from_cardholder(cardholder) == names
