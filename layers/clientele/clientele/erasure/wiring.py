"""Erasure's provider: the one service behind every way to erase."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientele.customers import wiring as customers
from clientele.platform.providers import provider
from clientele.platform.secrets import app_secret
from clientele.storage.table import data_table

if TYPE_CHECKING:
    from clientele.erasure.service import ErasureService


@provider
def erasure_service() -> ErasureService:
    from clientele.erasure.repository import ErasureRepository
    from clientele.erasure.service import ErasureService

    return ErasureService(ErasureRepository(data_table()), customers.customers(), app_secret, customers.photo_service())
