"""Builds repositories and services from the validated configuration, once per container.

Everything here is lazy: a function that never touches customers never builds their service.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from clientele.platform.config import get_config
from clientele.platform.links import LinkSigner
from clientele.platform.secrets import app_secret
from clientele.repositories.customers import CustomerRepository
from clientele.repositories.dynamo import Table
from clientele.repositories.merchants import MerchantRepository
from clientele.services.access import TermsGate
from clientele.services.account import AccountService
from clientele.services.customers import CustomerService
from clientele.services.onboarding import Onboarding

if TYPE_CHECKING:
    from clientele.domain.models import Sale
    from clientele.repositories.deliveries import DeliveryRepository
    from clientele.repositories.sales import SaleRepository
    from clientele.services.cards import CardService
    from clientele.services.delivery import DeliveryService, SaleLookup
    from clientele.services.idempotency import Idempotency
    from clientele.services.insights import InsightsService
    from clientele.services.receipts import HostedReceipts, ReceiptService
    from clientele.services.sales import SalesService
    from clientele.services.signup import SignupService

if TYPE_CHECKING:
    from clientele.services.erasure import ErasureService
    from clientele.services.legacy import LegacyUpgrade
    from clientele.services.preferences import PreferencesService
    from clientele.services.privacy import PrivacyPortal


@cache
def table() -> Table:
    return Table(get_config().table_name)


@cache
def merchants() -> MerchantRepository:
    return MerchantRepository(table())


@cache
def customers() -> CustomerRepository:
    return CustomerRepository(table())


@cache
def account_service() -> AccountService:
    return AccountService(merchants(), get_config().terms_version)


@cache
def customer_service() -> CustomerService:
    return CustomerService(customers(), merchants(), app_secret)


@cache
def terms_gate() -> TermsGate:
    return TermsGate(merchants())


@cache
def signer() -> LinkSigner:
    return LinkSigner(app_secret())


@cache
def onboarding() -> Onboarding:
    return Onboarding(merchants(), account_service(), customer_service(), signer(), get_config().public_base_url)


# Erasure and privacy (imported where built)
@cache
def erasure_service() -> ErasureService:
    from clientele.repositories.erasure import ErasureRepository
    from clientele.services.erasure import ErasureService

    return ErasureService(ErasureRepository(table()), customers(), app_secret)


@cache
def privacy_portal() -> PrivacyPortal:
    from clientele.repositories.one_time_codes import OneTimeCodeRepository
    from clientele.repositories.rate_limits import RateLimitRepository
    from clientele.services.privacy import PrivacyPortal

    return PrivacyPortal(
        OneTimeCodeRepository(table()),
        customers=customers(),
        merchants=merchants(),
        erasure=erasure_service(),
        limits=RateLimitRepository(table()),
        signer=signer(),
        secret=app_secret,
        send_code=send_one_time_code,
    )


def send_one_time_code(address: Any, code: str, locale: str) -> None:
    """The portal's code, by email (SES) or text message (SNS), in the visitor's language."""
    from clientele.services.privacy_notices import send

    send(address, code, locale, sender_address=get_config().sender_email)


@cache
def preferences_service() -> PreferencesService:
    from clientele.services.preferences import PreferencesService

    return PreferencesService(customers(), merchants(), signer())


@cache
def legacy_upgrade() -> LegacyUpgrade:
    from clientele.services.legacy import LegacyUpgrade

    return LegacyUpgrade(customers(), delivery_service())


_PRIVACY_BUILT: tuple[Any, ...] = (erasure_service, privacy_portal, preferences_service, legacy_upgrade)


# Hosted signup and message delivery (imported here, not at the top: other functions never load them) --
@cache
def deliveries() -> DeliveryRepository:
    from clientele.repositories.deliveries import DeliveryRepository

    return DeliveryRepository(table())


@cache
def sale_lookup() -> SaleLookup:
    """Reads a sale for messages that carry one (the welcome email's first receipt)."""
    from clientele.domain.errors import NotFound

    repository = sales()

    def lookup(merchant_id: str, sale_id: str) -> Sale | None:
        try:
            return repository.get(merchant_id, sale_id)
        except NotFound:
            return None

    return lookup


@cache
def delivery_service() -> DeliveryService:
    from clientele.platform.mail import Mailer
    from clientele.platform.queues import Queue
    from clientele.services.delivery import DeliveryService

    config = get_config()
    return DeliveryService(
        deliveries(),
        customers(),
        merchants(),
        Queue(config.delivery_queue_url),
        Mailer(config.sender_email),
        signer=signer(),
        public_base_url=config.public_base_url,
        max_receives=config.delivery_max_receives,
        sales=sale_lookup(),
        unsubscribe_mailbox=config.unsubscribe_email or None,
    )


@cache
def signup_service() -> SignupService:
    from clientele.repositories.rate_limits import RateLimitRepository
    from clientele.services.signup import SignupService

    lookup = sale_lookup()
    return SignupService(
        merchants(),
        customer_service(),
        delivery_service(),
        RateLimitRepository(table()),
        signer(),
        secret=app_secret,
        public_base_url=get_config().public_base_url,
        sale_exists=lambda merchant_id, sale_id: lookup(merchant_id, sale_id) is not None,
        attach_sale=lambda principal, sale_id, customer_id: sales_service().attach(principal, sale_id, customer_id),
    )


def reset() -> None:
    """Forget everything built (tests recreate the stack between cases)."""
    for built in (table, merchants, customers, account_service, customer_service, terms_gate, signer, onboarding):
        built.cache_clear()
    for built in _SALES_BUILT:
        built.cache_clear()
    for built in _PRIVACY_BUILT:
        built.cache_clear()
    for mine in (deliveries, sale_lookup, delivery_service, signup_service):
        mine.cache_clear()
    get_config.cache_clear()
    app_secret.cache_clear()


# Sales, cards, insights and idempotency (imported where built: functions that never record a sale never load them)
@cache
def sales() -> SaleRepository:
    from clientele.repositories.sales import SaleRepository

    return SaleRepository(table(), customers())


@cache
def sales_service() -> SalesService:
    from clientele.services.sales import SalesService

    return SalesService(sales(), merchants())


@cache
def card_service() -> CardService:
    from clientele.services.cards import CardService

    return CardService(sales(), customers())


@cache
def insights_service() -> InsightsService:
    from clientele.repositories.insights import InsightsRepository
    from clientele.services.insights import InsightsService

    return InsightsService(InsightsRepository(table()), sales(), merchants())


@cache
def idempotency() -> Idempotency:
    from clientele.platform.aws import client
    from clientele.services.idempotency import Idempotency

    return Idempotency(get_config().idempotency_table_name, client("dynamodb"))


@cache
def receipt_service() -> ReceiptService:
    from clientele.services.receipts import ReceiptService

    return ReceiptService(sales_service(), customers(), deliveries(), delivery_service)


@cache
def hosted_receipts() -> HostedReceipts:
    from clientele.services.receipts import HostedReceipts

    return HostedReceipts(signer(), merchants(), sales())


_SALES_BUILT = (sales, sales_service, card_service, insights_service, idempotency, receipt_service, hosted_receipts)
