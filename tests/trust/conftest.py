"""The privacy portal as a service, with its codes captured instead of sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ApiClient, Stack
from tests.receipts.conftest import Shop, new_shopper, sale_for


@pytest.fixture
def portal(stack: Stack) -> Iterator[tuple[Any, list[tuple[Any, str]]]]:
    from clientele.account.wiring import merchants
    from clientele.customers.wiring import customers
    from clientele.erasure.wiring import erasure_service
    from clientele.platform.secrets import app_secret, link_signer
    from clientele.privacy.one_time_codes import OneTimeCodeRepository
    from clientele.privacy.portal import PrivacyPortal
    from clientele.storage.rate_limits import RateLimitRepository
    from clientele.storage.table import data_table

    sent: list[tuple[Any, str]] = []
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        service = PrivacyPortal(
            OneTimeCodeRepository(data_table()),
            customers=customers(),
            merchants=merchants(),
            erasure=erasure_service(),
            limits=RateLimitRepository(data_table()),
            signer=link_signer(),
            secret=app_secret,
            send_code=lambda address, code, locale: sent.append((address, code)),
        )
        yield service, sent


@pytest.fixture
def shop(stack: Stack, client: ApiClient, merchant: dict[str, Any]) -> Shop:
    """A merchant with a customer (email and phone) and a sale of theirs."""
    customer = new_shopper(client)
    return Shop(client, merchant, customer, sale_for(client, customer["id"]))
