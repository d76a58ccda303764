"""The message-delivery pipeline: enqueue a message for a customer, then send it exactly once.

``enqueue`` writes a delivery record (``queued``) and puts a message carrying IDs only on the
delivery queue. The queue's consumer calls :meth:`DeliveryService.deliver` for each message: it
claims the record (queued -> sending, conditional), resolves the address from the customer,
renders the message by kind, sends it, and marks it sent. A redelivered queue message finds the
record ``sent`` and does nothing; a failure releases the record for the queue's next try, and
the last try marks it ``failed`` (the queue then dead-letters the message). An email to an address on
the merchant's suppression list (it bounced for good, or complained) ends ``failed`` with ``SUPPRESSED``
and never reaches SES; every email carries message tags with its IDs, so SES's bounce and complaint
notifications come back to their delivery (:mod:`clientele.messaging.feedback`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from clientele.account.model import Merchant, Site
from clientele.account.repository import MerchantRepository
from clientele.customers.model import Customer
from clientele.customers.repository import CustomerRepository
from clientele.kernel import clock, ids
from clientele.kernel.contact import Channel
from clientele.kernel.errors import NotFound, ValidationFailed
from clientele.kernel.links import Link, LinkSigner
from clientele.messaging import messages, rules
from clientele.messaging.model import Delivery, DeliveryStatus, EmailContent, Links, SmsContent
from clientele.messaging.repository import DeliveryRepository
from clientele.messaging.suppression import SuppressionList
from clientele.platform.mail import Mailer, OutgoingEmail, SendFailed
from clientele.platform.observability import logger
from clientele.platform.queues import Queue
from clientele.platform.sms import SmsSender
from clientele.sales.model import Sale

LEASE_SECONDS = 50  # shorter than the queue's visibility timeout (60 s), longer than a send takes

SaleLookup = Callable[[str, str], Sale | None]
SiteLookup = Callable[[str, str], Site | None]  # (merchant_id, site_id): a sale's site, for its receipt


class Outcome(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"  # a redelivered queue message: nothing sent again
    GONE = "gone"  # no such delivery any more (the customer was erased): nothing to send
    FAILED = "failed"  # will never go (no address, rejected, suppressed): marked failed, not retried


class RetryLater(Exception):
    """The message should come back through the queue (throttled, or another consumer holds it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DeliveryMessage:
    """The body of a delivery-queue message: IDs only."""

    delivery_id: str
    merchant_id: str
    customer_id: str

    def as_body(self) -> dict[str, str]:
        return {"delivery_id": self.delivery_id, "merchant_id": self.merchant_id, "customer_id": self.customer_id}

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> DeliveryMessage:
        try:
            return cls(str(body["delivery_id"]), str(body["merchant_id"]), str(body["customer_id"]))
        except KeyError as exc:
            raise ValueError(f"delivery message without {exc.args[0]}") from exc


class DeliveryService:
    def __init__(
        self,
        deliveries: DeliveryRepository,
        customers: CustomerRepository,
        merchants: MerchantRepository,
        queue: Queue,
        mailer: Mailer,
        *,
        signer: LinkSigner,
        max_receives: int = 5,
        sales: SaleLookup | None = None,
        sites: SiteLookup | None = None,
        unsubscribe_mailbox: str | None = None,
        sms: SmsSender | None = None,
        suppressions: SuppressionList | None = None,
    ) -> None:
        self.deliveries = deliveries
        self.customers = customers
        self.merchants = merchants
        self.queue = queue
        self.mailer = mailer
        self.signer = signer
        self.max_receives = max_receives
        self.sales = sales
        self.sites = sites
        self.unsubscribe_mailbox = unsubscribe_mailbox
        self.sms = sms or SmsSender()
        self.suppressions = suppressions

    # Enqueue ------------------------------------------------------------------------------------
    def enqueue(
        self,
        kind: str,
        merchant_id: str,
        customer_id: str,
        channel: Channel | str,
        refs: dict[str, str] | None = None,
        *,
        dedupe_key: str | None = None,
    ) -> Delivery:
        """Record a message for ``customer_id`` and queue it. IDs only: the address is read at send time.

        With ``dedupe_key``, a second enqueue with the same key returns the first delivery and sends
        nothing more (e.g. at most one "already on the list" email per customer and day).
        """
        if kind not in messages.KINDS:
            raise ValidationFailed(f"Unknown message kind: {kind}.", field="kind", code="UNKNOWN_KIND")
        now = clock.now_iso()
        delivery_id = ids.new_sortable_id("dlv")
        if dedupe_key:
            digest = hashlib.sha256(f"{merchant_id}/{customer_id}/{dedupe_key}".encode()).hexdigest()[:32]
            delivery_id = f"dlv_{digest}"
        delivery = Delivery(
            id=delivery_id,
            merchant_id=merchant_id,
            customer_id=customer_id,
            kind=kind,
            channel=Channel(channel),
            refs=dict(refs or {}),
            created_at=now,
            updated_at=now,
        )
        existing = self.deliveries.add(delivery)
        if existing is not None:
            if existing.status is DeliveryStatus.QUEUED:
                # The first enqueue may have stopped between its record and its queue message (a retried
                # request): queue it again. A second message for one delivery sends nothing twice.
                self.queue.send(DeliveryMessage(existing.id, merchant_id, customer_id).as_body())
            return existing
        self.queue.send(DeliveryMessage(delivery.id, merchant_id, customer_id).as_body())
        logger.info("delivery queued", extra={"delivery_id": delivery.id, "kind": kind, "merchant_id": merchant_id})
        return delivery

    # Deliver ------------------------------------------------------------------------------------
    def deliver(self, message: DeliveryMessage, *, receive_count: int = 1) -> Outcome:
        """Send one queued delivery, at most once. Raises :class:`RetryLater` to have the queue retry."""
        claim_id = ids.new_id("claim")
        now = clock.utcnow()
        claim = self.deliveries.claim(
            message.merchant_id,
            message.customer_id,
            message.delivery_id,
            claim_id=claim_id,
            now=clock.isoformat(now),
            now_epoch=int(now.timestamp()),
            lease_seconds=LEASE_SECONDS,
        )
        current = claim.delivery
        if current is None:
            return Outcome.GONE
        if not claim.claimed:
            if current.status is DeliveryStatus.SENT:
                return Outcome.ALREADY_SENT
            raise RetryLater("held by another consumer")
        final = receive_count >= self.max_receives
        try:
            prepared = self._prepare(current)
        except _Undeliverable as exc:
            self._release(current, claim_id, exc.code, final=True)
            return Outcome.FAILED
        except Exception:
            self._release(current, claim_id, "RENDER_ERROR", final=final)
            raise
        try:
            provider_id = self._send(prepared)
        except SendFailed as exc:
            self._release(current, claim_id, exc.code, final=final or exc.permanent)
            if exc.permanent:
                return Outcome.FAILED
            raise RetryLater(exc.code) from exc
        except Exception:
            # Whatever else went wrong, the last receive marks the delivery failed before the queue
            # dead-letters the message: its status never stays "queued".
            self._release(current, claim_id, "SEND_ERROR", final=final)
            raise
        self.deliveries.mark_sent(current, claim_id=claim_id, now=clock.now_iso(), provider_message_id=provider_id)
        logger.info(
            "delivery sent", extra={"delivery_id": current.id, "kind": current.kind, "merchant_id": current.merchant_id}
        )
        return Outcome.SENT

    def _release(self, delivery: Delivery, claim_id: str, code: str, *, final: bool) -> None:
        logger.warning("delivery not sent", extra={"delivery_id": delivery.id, "error": code, "final": final})
        self.deliveries.release(delivery, claim_id=claim_id, now=clock.now_iso(), error=code, final=final)

    def _prepare(self, delivery: Delivery) -> _Prepared:
        """Resolve the address and render the message (reads the customer and the merchant)."""
        try:
            customer = self.customers.get(delivery.merchant_id, delivery.customer_id)
        except NotFound as exc:
            raise _Undeliverable("NO_RECIPIENT") from exc
        address = customer.email if delivery.channel is Channel.EMAIL else customer.phone
        if not address:
            raise _Undeliverable("NO_ADDRESS")
        if (
            delivery.channel is Channel.EMAIL
            and self.suppressions is not None
            and self.suppressions.holds(delivery.merchant_id, address)
        ):
            raise _Undeliverable("SUPPRESSED")  # it bounced for good or complained: never mailed again
        try:
            merchant = self.merchants.get(delivery.merchant_id)
        except NotFound as exc:
            raise _Undeliverable("NO_RECIPIENT") from exc
        links = self.links(merchant, customer, delivery)
        sale = self._sale(delivery)
        if sale is None and delivery.kind == "welcome":
            links.extra.pop("receipt", None)
        context = messages.MessageContext(
            delivery=delivery,
            merchant=merchant,
            customer=customer,
            locale=_locale(customer, merchant),
            links=links,
            sale=sale,
            site=self._site(sale),
        )
        try:
            content = messages.render(context)
        except messages.UnknownKind as exc:
            raise _Undeliverable("UNKNOWN_KIND") from exc
        except messages.Undeliverable as exc:
            raise _Undeliverable(exc.code) from exc
        tags = rules.message_tags(
            delivery_id=delivery.id, merchant_id=delivery.merchant_id, customer_id=customer.id, kind=delivery.kind
        )
        return _Prepared(content, address, links, merchant, tags)

    def _sale(self, delivery: Delivery) -> Sale | None:
        sale_id = delivery.refs.get("sale_id")
        if not sale_id or self.sales is None:
            return None
        sale = self.sales(delivery.merchant_id, sale_id)
        if delivery.kind == "welcome" and sale is not None and sale.customer_id != delivery.customer_id:
            return None  # a welcome carries a sale only as its own customer's first receipt
        return sale

    def _site(self, sale: Sale | None) -> Site | None:
        if sale is None or self.sites is None:
            return None
        return self.sites(sale.merchant_id, sale.site_id)

    def _send(self, prepared: _Prepared) -> str:
        content = prepared.content
        if isinstance(content, SmsContent):
            return self.sms.send(prepared.address, content.text)
        headers: dict[str, str] = {}
        if content.unsubscribe:
            # RFC 8058: a one-click POST to the preferences link opts out of every marketing preference.
            targets = [f"<{prepared.links.preferences}>"]
            if self.unsubscribe_mailbox:
                targets.append(f"<mailto:{self.unsubscribe_mailbox}?subject=unsubscribe>")
            headers["List-Unsubscribe"] = ", ".join(targets)
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return self.mailer.send(
            OutgoingEmail(
                to=prepared.address,
                subject=content.subject,
                text=content.text,
                html=content.html,
                sender_name=prepared.merchant.name,
                reply_to=prepared.merchant.contact_email,
                headers=headers,
                tags=prepared.tags,
            )
        )

    # Links ------------------------------------------------------------------------------------
    def links(self, merchant: Merchant, customer: Customer, delivery: Delivery | None = None) -> Links:
        """The preferences and erase links of ``customer`` (purpose-bound tokens), and the privacy policy.

        The erase token names the kind of message it came in (``"v"``), so the erasure's tombstone can
        say which way was taken; a message about a sale also links to the sale's hosted receipt.
        """
        payload = {"m": merchant.id, "c": customer.id}
        erase = {**payload, "v": delivery.kind} if delivery else payload
        extra: dict[str, str] = {}
        sale_id = delivery.refs.get("sale_id") if delivery else None
        if sale_id:
            extra["receipt"] = self.signer.receipt_url(merchant.id, sale_id)
        membership_id = delivery.refs.get("membership_id") if delivery else None
        request_id = delivery.refs.get("mandate_request_id") if delivery else None
        if membership_id and request_id:
            extra["mandate"] = self.signer.mandate_url(merchant.id, membership_id, request_id)
        intake_request_id = delivery.refs.get("intake_request_id") if delivery else None
        if intake_request_id:
            extra["intake"] = self.signer.intake_url(
                merchant.id, customer.id, intake_request_id, _locale(customer, merchant)
            )
        return Links(
            preferences=self.signer.url(Link.PREFERENCES, payload),
            erase=self.signer.url(Link.ERASE, erase),
            privacy_policy=merchant.privacy_policy_url,
            extra=extra,
        )


@dataclass(frozen=True)
class _Prepared:
    content: EmailContent | SmsContent
    address: str
    links: Links
    merchant: Merchant
    tags: dict[str, str]


class _Undeliverable(Exception):
    """This delivery can never go (no recipient, no address, unknown kind): fail it without retrying."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _locale(customer: Customer, merchant: Merchant) -> str:
    from clientele.rendering.languages import negotiate

    return negotiate(customer.locale, merchant.locale)
