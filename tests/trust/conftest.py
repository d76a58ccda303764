"""The privacy portal as a service, with its codes captured instead of sent."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient, Stack
from tests.receipts.conftest import Shop, new_shopper, sale_for


@pytest.fixture
def shop(stack: Stack, client: ApiClient, merchant: dict[str, Any]) -> Shop:
    """A merchant with a customer (email and phone) and a sale of theirs."""
    customer = new_shopper(client)
    return Shop(client, merchant, customer, sale_for(client, customer["id"]))
