"""Erasure's provider: the one service behind every way to erase."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientele.customers import wiring as customers
from clientele.groups import wiring as groups
from clientele.loyalty import wiring as loyalty
from clientele.platform.providers import provider
from clientele.platform.secrets import app_secret
from clientele.storage.table import data_table

if TYPE_CHECKING:
    from clientele.erasure.service import ErasureService


@provider
def erasure_service() -> ErasureService:
    from clientele.erasure.repository import ErasureRepository
    from clientele.erasure.service import ErasureService
    from clientele.memberships.wiring import membership_service

    return ErasureService(
        ErasureRepository(data_table()),
        customers.customers(),
        app_secret,
        groups=groups.groups(),
        loyalty=loyalty.loyalty(),
        members=membership_service,
        photos=customers.photo_service(),
    )
