"""Cards: what may be kept of a payment card, instant profiles from a cardholder name, and a customer's cards.

Clientele never holds a card number. The till sends the processor's card fingerprint, the brand, the
last four digits and the name on the card; anything that looks like a full card number, anywhere in what
the till sends, is refused before it is stored, logged or hashed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clientele.customers.repository import CustomerRepository
from clientele.kernel.errors import ValidationFailed
from clientele.kernel.permissions import Principal
from clientele.sales.model import Card
from clientele.sales.repository import SaleRepository

# 13 to 19 digits, possibly grouped by spaces, dots or dashes (how card numbers are written).
_DIGIT_RUN = re.compile(r"\d(?:[ .\-]?\d){12,18}")


@dataclass(frozen=True)
class CardInput:
    fingerprint: str
    brand: str
    last4: str
    cardholder_name: str | None = None


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def looks_like_card_number(text: str, *, strict: bool) -> bool:
    """A run of 13-19 digits. ``strict``: any such run; otherwise only one that passes the Luhn check
    (so a 13-digit barcode in a line description is not mistaken for a card number)."""
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if strict or _luhn(digits):
            return True
    return False


def refuse_card_numbers(fields: dict[str, str | None], *, strict: bool) -> None:
    for name, value in fields.items():
        if value and looks_like_card_number(value, strict=strict):
            raise ValidationFailed(
                "This looks like a full card number. Send the card's fingerprint, brand and last four digits only.",
                field=name,
                code="CARD_NUMBER_NOT_ALLOWED",
            )


def names_from_cardholder(cardholder: str) -> tuple[str | None, str | None]:
    """(given, family) from the name on a card: ``DOE/JANE`` (track format) or ``Jane Doe``."""
    cleaned = " ".join(cardholder.replace(".", " ").split())
    if "/" in cleaned:
        family, _, given = cleaned.partition("/")
    else:
        parts = cleaned.split(" ")
        given, family = (" ".join(parts[:-1]), parts[-1]) if len(parts) > 1 else (parts[0], "")

    def tidy(part: str) -> str | None:
        part = part.strip()
        if not part:
            return None
        return part.title() if part.isupper() or part.islower() else part

    return tidy(given), tidy(family)


class CardService:
    def __init__(self, sales: SaleRepository, customers: CustomerRepository) -> None:
        self.sales = sales
        self.customers = customers

    def cards(self, principal: Principal, customer_id: str) -> list[Card]:
        self.customers.get(principal.merchant_id, customer_id)
        return self.sales.cards(principal.merchant_id, customer_id)

    def unlink(self, principal: Principal, customer_id: str, card_id: str) -> None:
        """Later sales with this card no longer attach to anyone (nor create a new profile)."""
        self.sales.unlink_card(principal.merchant_id, customer_id, card_id)
