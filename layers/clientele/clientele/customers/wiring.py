"""The customer list's providers: built once per container, on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from clientele.account import wiring as account
from clientele.platform.config import Settings, settings
from clientele.platform.providers import provider
from clientele.platform.secrets import app_secret
from clientele.storage.table import data_table

if TYPE_CHECKING:
    from clientele.customers.photos import PhotoService
    from clientele.customers.repository import CustomerRepository
    from clientele.customers.search import DirectoryService
    from clientele.customers.service import CustomerService
    from clientele.platform.topics import Topic


@provider
def customers() -> CustomerRepository:
    from clientele.customers.repository import CustomerRepository

    return CustomerRepository(data_table())


@provider
def customer_service() -> CustomerService:
    from clientele.customers.service import CustomerService

    return CustomerService(customers(), account.merchants(), app_secret)


@provider
def directory_service() -> DirectoryService:
    from clientele.customers.search import DirectoryService

    repository = customers()
    return DirectoryService(repository, repository.directory, app_secret, account.merchants())


class PhotoSettings(Settings):
    photo_bucket: str = Field(default="", alias="PHOTO_BUCKET")


@provider
def photo_service() -> PhotoService:
    from clientele.customers.photos import PhotoService, PhotoStore

    return PhotoService(PhotoStore(data_table(), settings(PhotoSettings).photo_bucket))


class CustomerEventSettings(Settings):
    customer_events_topic_arn: str = Field(default="", alias="CUSTOMER_EVENTS_TOPIC_ARN")


@provider
def customer_events_topic() -> Topic:
    """Where the data table's relay publishes ``CustomerChanged`` for the consumers' queues."""
    from clientele.platform.topics import Topic

    return Topic(settings(CustomerEventSettings).customer_events_topic_arn)
