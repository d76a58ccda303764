"""What a receipt shows, as a paper one would (SPEC 6.4): the shop (site) and its address, the local date
and time, a receipt number, the lines, the subtotal, the taxes, the total and how it was paid.

One view for every receipt a shopper reads (the receipt email, the welcome email's first receipt, the
hosted receipt page), with every value already formatted for the reader's language and region, so the
templates only place them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clientele.account.model import Merchant, Site
from clientele.rendering.languages import gettext
from clientele.rendering.templates import format_local_datetime, format_money
from clientele.sales.model import PaymentMethod, Sale, SaleType
from clientele.sales.rules import receipt_number


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    quantity: int
    amount: str


@dataclass(frozen=True)
class ReceiptTax:
    label: str  # "VAT 21% (included)"
    amount: str


@dataclass(frozen=True)
class ReceiptView:
    shop_name: str  # the site's name, else the merchant's
    merchant_name: str
    address_lines: list[str]
    when: str
    number: str
    lines: list[ReceiptLine]
    subtotal: str | None  # None when the sale has no lines
    taxes: list[ReceiptTax]
    total_label: str
    total: str
    payment: str | None
    # Lines other parts of the product add under the total (e.g. points earned), as (label, value).
    extras: list[tuple[str, str]] = field(default_factory=list)


def receipt_view(merchant: Merchant, site: Site | None, sale: Sale, language: str, formats: str) -> ReceiptView:
    """``language`` picks the words (en, fr, nl) and the amounts' format (as every other message shows them);
    ``formats`` is the Babel locale of the date and time, with the reader's region (en_GB: "1 December 2026,
    14:05", never the US "December 1, 2026, 2:05 PM")."""
    currency = sale.total.currency

    def money(amount: int) -> str:
        return format_money(amount, currency, language)

    time_zone = site.time_zone if site else "UTC"
    taxes = []
    for tax in sale.taxes:
        name = f"{tax.name} {tax.rate}" if tax.rate else tax.name
        label = gettext(language, "%(tax)s (included)", tax=name) if tax.included else name
        taxes.append(ReceiptTax(label, money(tax.amount.amount)))
    total_label = gettext(language, "Refunded") if sale.type is SaleType.REFUND else gettext(language, "Total")
    return ReceiptView(
        shop_name=site.name if site else merchant.name,
        merchant_name=merchant.name,
        address_lines=[line.strip() for line in (site.address or "").splitlines() if line.strip()] if site else [],
        when=format_local_datetime(sale.occurred_at, time_zone, formats),
        number=receipt_number(sale),
        lines=[ReceiptLine(line.description, line.quantity, money(line.total.amount)) for line in sale.lines],
        subtotal=money(sum(line.total.amount for line in sale.lines)) if sale.lines else None,
        taxes=taxes,
        total_label=total_label,
        total=money(sale.total.amount),
        payment=_payment(sale, language),
    )


def _payment(sale: Sale, language: str) -> str | None:
    if sale.card is not None:
        brand, last4 = sale.card.brand.upper(), sale.card.last4
        return gettext(language, "Card: %(brand)s ending in %(last4)s", brand=brand, last4=last4)
    return {
        PaymentMethod.CARD: gettext(language, "Paid by card"),
        PaymentMethod.CASH: gettext(language, "Paid in cash"),
        PaymentMethod.VOUCHER: gettext(language, "Paid with a voucher"),
        PaymentMethod.OTHER: None,
        None: None,
    }[sale.payment_method]
