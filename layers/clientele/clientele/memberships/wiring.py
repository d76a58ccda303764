"""The memberships' providers: built once per container, on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from clientele.account import wiring as account
from clientele.customers import wiring as customers
from clientele.customers.merging import Participant, merge_participant
from clientele.platform.config import Settings, settings
from clientele.platform.providers import provider
from clientele.storage.table import data_table

if TYPE_CHECKING:
    from clientele.memberships.collection import DirectDebitService
    from clientele.memberships.credits import CreditService
    from clientele.memberships.dues import DuesRun
    from clientele.memberships.exports import MembershipExports
    from clientele.memberships.mandates import MandateService
    from clientele.memberships.notices import MemberNotices
    from clientele.memberships.repository import CreditRepository, MembershipRepository
    from clientele.memberships.service import MembershipService


@provider
def memberships() -> MembershipRepository:
    from clientele.memberships.repository import MembershipRepository

    return MembershipRepository(data_table())


@provider
def membership_service() -> MembershipService:
    from clientele.memberships.service import MembershipService

    return MembershipService(
        memberships(), account.merchants(), customers.customers(), listener=DirectoryFlag(), credits=credit_service()
    )


@provider
def credit_repository() -> CreditRepository:
    from clientele.memberships.repository import CreditRepository

    return CreditRepository(data_table())


@provider
def credit_service() -> CreditService:
    from clientele.memberships.credits import CreditService

    return CreditService(credit_repository(), memberships(), account.merchants(), customers.customers())


class DirectoryFlag:
    """Keeps the directory's ``has_membership`` filter current: whether the customer holds a membership now."""

    def membership_flag_changed(self, merchant_id: str, customer_id: str, has_membership: bool) -> None:
        repository = customers.customers()
        tx = repository.table.transaction()
        repository.directory.set_has_membership(tx, merchant_id, customer_id, has_membership)
        tx.commit()


@provider
def dues_run() -> DuesRun:
    from clientele.memberships.dues import DuesRun

    return DuesRun(
        memberships(),
        account.merchants(),
        notices=member_notices(),
        batches=direct_debit_service(),
        on_holding_changed=lambda merchant, customer: membership_service().notify_holding(merchant, customer),
        credits=credit_service(),
    )


@provider
def member_notices() -> MemberNotices:
    from clientele.memberships.notices import MemberNotices
    from clientele.messaging.wiring import delivery_service

    return MemberNotices(delivery_service, memberships())


class DirectDebitSettings(Settings):
    direct_debit_bucket: str = Field(default="", alias="DIRECT_DEBIT_BUCKET")


@provider
def direct_debit_service() -> DirectDebitService:
    from clientele.memberships.collection import DirectDebitService
    from clientele.platform.secrets import app_secret

    return DirectDebitService(
        memberships(),
        membership_service(),
        settings(DirectDebitSettings).direct_debit_bucket,
        app_secret,
        notices=member_notices(),
    )


@provider
def mandate_service() -> MandateService:
    from clientele.memberships.mandates import MandateService
    from clientele.messaging.wiring import delivery_service
    from clientele.platform.secrets import app_secret, link_signer

    return MandateService(
        memberships(),
        membership_service(),
        account.merchants(),
        customers.customers(),
        messenger=delivery_service,
        signer=link_signer,
        secret=app_secret,
    )


@provider
def membership_exports() -> MembershipExports:
    from clientele.memberships.exports import MembershipExports

    return MembershipExports(memberships(), membership_service(), settings(DirectDebitSettings).direct_debit_bucket)


@merge_participant
def memberships_merge() -> Participant:
    """A merge of two customers moves every membership and every credit of the source to the survivor."""
    return Participant("memberships", lambda m, source, survivor: membership_service().move_to(m, source, survivor))
