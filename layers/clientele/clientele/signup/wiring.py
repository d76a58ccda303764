"""Hosted signup's providers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientele.account import wiring as account
from clientele.customers import wiring as customers
from clientele.messaging import wiring as messaging
from clientele.platform.providers import provider
from clientele.platform.secrets import app_secret, link_signer
from clientele.sales import wiring as sales
from clientele.storage.table import data_table

if TYPE_CHECKING:
    from clientele.signup.service import SignupService


@provider
def signup_service() -> SignupService:
    from clientele.signup.service import SignupService
    from clientele.storage.rate_limits import RateLimitRepository

    return SignupService(
        account.merchants(),
        customers.customer_service(),
        messaging.delivery_service(),
        RateLimitRepository(data_table()),
        link_signer(),
        secret=app_secret,
        sales=sales.sales_service(),
    )
