"""Money: an amount in minor units of an ISO 4217 currency (SPEC section 4)."""

from __future__ import annotations

from clientele.kernel.entity import Entity


class Money(Entity):
    """An amount in minor units (cents) of an ISO 4217 currency."""

    amount: int
    currency: str
