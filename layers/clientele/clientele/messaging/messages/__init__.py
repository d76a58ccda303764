"""One renderer per message kind.

``messages/<kind>.py`` exposes ``render(context: MessageContext) -> EmailContent | SmsContent`` and
its templates live under ``templates/emails/`` (and ``templates/sms/``). To add a kind, write its
module and list it in :data:`KINDS`; the delivery pipeline needs nothing else.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from clientele.account.model import Merchant, Site
from clientele.customers.model import Customer
from clientele.messaging.model import Delivery, EmailContent, Links, SmsContent
from clientele.sales.model import Sale

if TYPE_CHECKING:
    from clientele.messaging.receipt_view import ReceiptView

KINDS: dict[str, str] = {
    "welcome": "clientele.messaging.messages.welcome",
    "already_on_list": "clientele.messaging.messages.already_on_list",
    "legacy_upgrade": "clientele.messaging.messages.legacy_upgrade",
    "receipt": "clientele.messaging.messages.receipt",
    "mandate_request": "clientele.messaging.messages.mandate_request",
    "membership_notice": "clientele.messaging.messages.membership_notice",
    "intake_request": "clientele.messaging.messages.intake_request",
}

Rendered: TypeAlias = EmailContent | SmsContent
Renderer: TypeAlias = Callable[["MessageContext"], Rendered]


class UnknownKind(Exception):
    pass


class Undeliverable(Exception):
    """A renderer's answer when this message can never be made (e.g. its sale is gone): failed, not retried."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class MessageContext:
    delivery: Delivery
    merchant: Merchant
    customer: Customer
    locale: str
    links: Links
    sale: Sale | None = None  # when ``refs["sale_id"]`` names a sale that could be read
    site: Site | None = None  # the sale's site, for its name and address on the receipt

    def receipt(self) -> ReceiptView | None:
        """The sale as its receipt shows it, in the customer's language and the shop's region."""
        from clientele.messaging.receipt_view import receipt_view
        from clientele.rendering.languages import formatting_locale

        if self.sale is None:
            return None
        country = self.site.country if self.site else self.merchant.country
        formats = formatting_locale(self.locale, country=country)
        return receipt_view(self.merchant, self.site, self.sale, self.locale, formats)

    def template_values(self, **extra: Any) -> dict[str, Any]:
        """What every message template may use."""
        return {
            "merchant": self.merchant,
            "customer": self.customer,
            "links": self.links,
            "sale": self.sale,
            "receipt": self.receipt(),
            "channel": self.delivery.channel.value,
            **extra,
        }


def renderer(kind: str) -> Renderer:
    module_name = KINDS.get(kind)
    if module_name is None:
        raise UnknownKind(kind)
    return cast(Renderer, importlib.import_module(module_name).render)


def render(context: MessageContext) -> Rendered:
    return renderer(context.delivery.kind)(context)
