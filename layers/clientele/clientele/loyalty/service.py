"""Loyalty's use cases: the program, enrolment, the till's look-up by phone, adjustments, redemptions, phone
changes, expiry, merges, and the ledger.

Every change reads the account and the program (one ``BatchGetItem``), decides with :mod:`loyalty.rules`, and
writes the account under the version it read with the change's events (one transaction). A concurrent change
makes the write fail and the change is decided again on fresh reads, so the balance is always the ledger's sum.

Expiry is applied lazily: whenever an account is read or changed after its points expired, an ``expire`` event
dated when they expired (the last visit plus the program's months) is written first. The ledger is the same as
a daily schedule would have made it, and no schedule has to scan every account.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from clientele.kernel import clock, contact, ids
from clientele.kernel.entity import Page
from clientele.kernel.errors import AlreadyExists, Conflict, NotFound, ValidationFailed, VersionMismatch
from clientele.kernel.permissions import Principal
from clientele.loyalty import rules
from clientele.loyalty.model import Account, Event, EventType, Program, Reward
from clientele.loyalty.repository import (
    AlreadyDone,
    Change,
    CustomerMissing,
    LoyaltyRepository,
    PhoneTaken,
    StaleAccount,
    operation_marker,
)

MAX_ATTEMPTS = 60


@dataclass(frozen=True)
class AccountView:
    account: Account
    program: Program | None

    @property
    def affordable(self) -> list[Reward]:
        return rules.affordable(self.program, self.account.balance) if self.program else []


@dataclass(frozen=True)
class Operation:
    """The outcome of an adjustment or redemption; ``replayed`` when its ``Idempotency-Key`` was seen before."""

    event: Event
    replayed: bool


def expire(account: Account, program: Program | None, now: datetime) -> list[Event]:
    """The ``expire`` event due on ``account`` by ``now`` (none if nothing is due), applied to ``account``."""
    if program is None:
        return []
    due = rules.expiry_due(program, account.balance, account.last_visit_at, now)
    if due is None:
        return []
    event = Event(
        id=ids.new_sortable_id("lev", int(due.timestamp() * 1000)),
        customer_id=account.customer_id,
        type=EventType.EXPIRE,
        points=-account.balance,
        balance_after=0,
        at=clock.isoformat(due),
    )
    account.balance = 0
    account.remainder = 0
    return [event]


def new_event(account: Account, kind: EventType, points: int, at: str, **extra: str | None) -> Event:
    """An event of ``points`` on ``account``, applied to it (balance, and what was earned or redeemed)."""
    account.balance += points
    if kind is EventType.ACCRUE and points > 0:
        account.lifetime_earned += points
    if kind is EventType.REDEEM:
        account.redeemed += -points
    return Event(
        id=ids.new_sortable_id("lev"),
        customer_id=account.customer_id,
        type=kind,
        points=points,
        balance_after=account.balance,
        at=at,
        **extra,
    )


def operation_id(merchant_id: str, customer_id: str, scope: str, key: str) -> str:
    digest = hashlib.sha256(f"{merchant_id}\x00{customer_id}\x00{scope}\x00{key}".encode()).hexdigest()
    return f"op_{digest[:40]}"


def request_hash(body: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


class LoyaltyService:
    def __init__(self, repository: LoyaltyRepository, secret: Callable[[], bytes]) -> None:
        self.repository = repository
        self._secret = secret

    # Program ----------------------------------------------------------------------------------
    def program(self, principal: Principal) -> Program:
        program = self.repository.program(principal.merchant_id)
        if program is None:
            raise NotFound("This merchant has no loyalty program yet.", code="NO_LOYALTY_PROGRAM")
        return program

    def save_program(self, principal: Principal, program: Program, expected_version: int | None) -> Program:
        """Replace the program. Points already earned never change: accounts keep their balances and ledgers."""
        current = self.repository.program(principal.merchant_id)
        if expected_version is not None and (current.version if current else 0) != expected_version:
            raise VersionMismatch("The program changed since it was read.", field="version")
        seen: set[str] = set()
        for index, reward in enumerate(program.rewards):
            if reward.id in seen:
                raise ValidationFailed(
                    "Two rewards have the same id.", field=f"rewards.{index}.id", code="DUPLICATE_REWARD"
                )
            seen.add(reward.id)
        program.version = (current.version if current else 0) + 1
        program.updated_at = clock.now_iso()
        try:
            self.repository.save_program(principal.merchant_id, program, current.version if current else None)
        except StaleAccount as exc:
            raise VersionMismatch("The program changed meanwhile; read it again.", field="version") from exc
        return program

    # Accounts ---------------------------------------------------------------------------------
    def _phone(self, principal: Principal, raw: str) -> tuple[str, str]:
        e164 = contact.normalise_phone(raw, principal.country)
        return e164, contact.phone_hash(self._secret(), e164)

    def enroll(self, principal: Principal, customer_id: str, phone: str) -> AccountView:
        e164, phone_hash = self._phone(principal, phone)
        mid = principal.merchant_id
        existing, program = self.repository.account_and_program(mid, customer_id)
        if existing is not None:
            if existing.erased:
                raise NotFound("No such customer.", field="id")
            raise Conflict("This customer is already enrolled.", field="id", code="ALREADY_ENROLLED")
        now = clock.now_iso()
        account = Account(
            merchant_id=mid,
            customer_id=customer_id,
            phone=e164,
            phone_hash=phone_hash,
            enrolled_at=now,
            last_visit_at=now,
        )
        event = new_event(account, EventType.ENROLL, 0, now)
        try:
            self.repository.enroll(Change(account=account, read_version=None, events=[event]), phone_hash)
        except CustomerMissing as exc:
            raise NotFound("No such customer.", field="id") from exc
        except PhoneTaken as exc:
            raise self._taken(exc.customer_id) from exc
        except StaleAccount as exc:
            raise Conflict("This customer is already enrolled.", field="id", code="ALREADY_ENROLLED") from exc
        return AccountView(account, program)

    @staticmethod
    def _taken(holder: str | None) -> AlreadyExists:
        return AlreadyExists(
            f"This phone number is the loyalty phone of customer {holder}.",
            field="phone",
            existing_id=holder,
            code="PHONE_TAKEN",
        )

    def account(self, principal: Principal, customer_id: str) -> AccountView:
        """The account (with any expiry due applied first) and the rewards its balance buys."""
        account, program = self._read(principal.merchant_id, customer_id)
        if expire(account.model_copy(), program, clock.utcnow()):
            return self._change(principal.merchant_id, customer_id, lambda _a, _p, _now: [])[0]
        return AccountView(account, program)

    def find_by_phone(self, principal: Principal, phone: str) -> AccountView:
        _, phone_hash = self._phone(principal, phone)
        customer_id = self.repository.customer_by_phone(principal.merchant_id, phone_hash)
        if customer_id is None:
            raise NotFound("No loyalty account has this phone number.", field="phone")
        return self.account(principal, customer_id)

    def _read(
        self, merchant_id: str, customer_id: str, operation_id: str | None = None
    ) -> tuple[Account, Program | None]:
        account, program, done = self.repository.account_program_operation(merchant_id, customer_id, operation_id)
        if account is None or account.erased:
            raise NotFound("This customer has no loyalty account.", field="id", code="NOT_ENROLLED")
        if done is not None:
            raise AlreadyDone(done)  # the operation of this Idempotency-Key was applied before
        return account, program

    def ledger(self, principal: Principal, customer_id: str, *, limit: int, cursor: str | None) -> Page[Event]:
        page = self.repository.ledger(principal.merchant_id, customer_id, limit=limit, cursor=cursor)
        if not page.items and cursor is None:
            self._read(principal.merchant_id, customer_id)  # 404 rather than an empty ledger for a stranger
        return page

    # Changes ----------------------------------------------------------------------------------
    def _change(
        self,
        merchant_id: str,
        customer_id: str,
        decide: Callable[[Account, Program | None, str], list[Event]],
        *,
        marker: Callable[[list[Event]], dict[str, object] | None] | None = None,
        operation_id: str | None = None,
    ) -> tuple[AccountView, list[Event]]:
        """Read, apply what expired, ``decide`` the change's events (applied to the account), write; again on a
        concurrent change."""
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0.001, 0.004 * min(attempt, 12)))  # noqa: S311 - jitter, not secrecy
            account, program = self._read(merchant_id, customer_id, operation_id)
            read_version = account.version
            now = clock.utcnow()
            events = expire(account, program, now)
            events += decide(account, program, clock.isoformat(now))
            account.version = read_version + 1
            change = Change(account=account, read_version=read_version, events=events)
            if marker is not None:
                item = marker(events)
                if item is not None:
                    change.markers.append(item)
            try:
                self.repository.commit([change])
            except StaleAccount:
                continue
            return AccountView(account, program), events
        raise Conflict("Too many concurrent changes to this account; retry the request.", code="BUSY")

    def _operation(
        self,
        principal: Principal,
        customer_id: str,
        *,
        scope: str,
        body: dict[str, object],
        idempotency_key: str | None,
        decide: Callable[[Account, Program | None, str], Event],
    ) -> Operation:
        """An adjustment or redemption, once per ``Idempotency-Key``: its marker holds the event, so a replay
        (even a concurrent one) answers the first outcome and changes nothing."""
        mid = principal.merchant_id
        op_id = operation_id(mid, customer_id, scope, idempotency_key) if idempotency_key else None
        digest = request_hash(body)

        def marker(events: list[Event]) -> dict[str, object] | None:
            if op_id is None:
                return None
            return operation_marker(mid, customer_id, op_id, digest, events[-1])

        try:
            _, events = self._change(
                mid, customer_id, lambda a, p, now: [decide(a, p, now)], marker=marker, operation_id=op_id
            )
        except AlreadyDone as done:
            if done.old.get("request_hash") != digest:
                raise ValidationFailed(
                    "This Idempotency-Key was used with a different request body.",
                    field="Idempotency-Key",
                    code="IDEMPOTENCY_KEY_REUSED",
                ) from done
            return Operation(Event.model_validate(done.old["event"]), replayed=True)
        return Operation(events[-1], replayed=False)

    def adjust(
        self, principal: Principal, customer_id: str, points: int, reason: str, *, idempotency_key: str | None
    ) -> Operation:
        if points == 0 or abs(points) > rules.MAX_POINTS:
            raise ValidationFailed(
                f"Points are a whole number from 1 to {rules.MAX_POINTS}, or from -1 down to -{rules.MAX_POINTS}.",
                field="points",
                code="INVALID_POINTS",
            )

        def decide(account: Account, program: Program | None, now: str) -> Event:
            allow = program.allow_negative if program else False
            if points < 0 and not allow and account.balance + points < 0:
                raise ValidationFailed(
                    f"The balance is {account.balance} points; this program does not allow a negative balance.",
                    field="points",
                    code="INSUFFICIENT_POINTS",
                )
            return new_event(account, EventType.ADJUST, points, now, reason=reason)

        body = {"points": points, "reason": reason}
        return self._operation(
            principal, customer_id, scope="adjust", body=body, idempotency_key=idempotency_key, decide=decide
        )

    def redeem(
        self, principal: Principal, customer_id: str, reward_id: str, *, idempotency_key: str | None
    ) -> Operation:
        def decide(account: Account, program: Program | None, now: str) -> Event:
            reward = program.reward(reward_id) if program else None
            if reward is None:
                raise ValidationFailed("The program has no such reward.", field="reward_id", code="UNKNOWN_REWARD")
            if account.balance < reward.points:
                raise ValidationFailed(
                    f"This reward costs {reward.points} points; the balance is {account.balance}.",
                    field="reward_id",
                    code="INSUFFICIENT_POINTS",
                )
            return new_event(account, EventType.REDEEM, -reward.points, now, reward_id=reward.id)

        return self._operation(
            principal,
            customer_id,
            scope="redeem",
            body={"reward_id": reward_id},
            idempotency_key=idempotency_key,
            decide=decide,
        )

    def change_phone(self, principal: Principal, customer_id: str, phone: str) -> AccountView:
        """A new phone for the till's look-up; the balance and the ledger stay (one ``phone_changed`` event)."""
        e164, new_hash = self._phone(principal, phone)
        mid = principal.merchant_id
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0.001, 0.004 * min(attempt, 12)))  # noqa: S311 - jitter, not secrecy
            account, program = self._read(mid, customer_id)
            if account.phone_hash == new_hash:
                return AccountView(account, program)
            read_version, old_hash = account.version, account.phone_hash
            now = clock.utcnow()
            events = expire(account, program, now)
            events.append(new_event(account, EventType.PHONE_CHANGED, 0, clock.isoformat(now)))
            account.phone, account.phone_hash, account.version = e164, new_hash, read_version + 1
            try:
                self.repository.change_phone(
                    Change(account=account, read_version=read_version, events=events), old_hash, new_hash
                )
            except PhoneTaken as exc:
                raise self._taken(exc.customer_id) from exc
            except StaleAccount:
                continue
            return AccountView(account, program)
        raise Conflict("Too many concurrent changes to this account; retry the request.", code="BUSY")

    # Merge ------------------------------------------------------------------------------------
    def merge_accounts(self, merchant_id: str, source_customer_id: str, survivor_customer_id: str) -> Account | None:
        """The directory's merge port: the source's points join the survivor's (one ``merge`` event on each side).

        If only the source is enrolled, its account (balance, phone look-up, totals) moves to the survivor,
        recorded by a ``merge`` event on each side. If neither is, nothing happens. Returns the survivor's account.
        Running it again after it succeeded changes nothing (the source's account is then empty or gone).
        """
        if source_customer_id == survivor_customer_id:
            raise ValidationFailed("A customer is not merged into itself.", field="source_customer_id")
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0.001, 0.004 * min(attempt, 12)))  # noqa: S311 - jitter, not secrecy
            source, program = self.repository.account_and_program(merchant_id, source_customer_id)
            survivor = self.repository.account(merchant_id, survivor_customer_id)
            if source is None or source.erased:
                return survivor
            now = clock.utcnow()
            at = clock.isoformat(now)
            source_version = source.version
            closing = expire(source, program, now)
            points = source.balance
            closing.append(new_event(source, EventType.MERGE, -points, at, other_customer_id=survivor_customer_id))
            # The source's account goes (its customer is merged away); its ledger stays, closed by the merge.
            tx = self.repository.table.transaction()
            self.repository.delete_account(tx, source.model_copy(update={"version": source_version}))
            for event in closing:
                tx.put(
                    "loyalty_event",
                    self.repository.event_item(merchant_id, event),
                    condition="attribute_not_exists(PK)",
                )
            if survivor is None:
                target = Account(
                    merchant_id=merchant_id,
                    customer_id=survivor_customer_id,
                    phone=source.phone,
                    phone_hash=source.phone_hash,
                    remainder=source.remainder,
                    enrolled_at=source.enrolled_at,
                    last_visit_at=source.last_visit_at,
                )
                read_version = None
                opening: list[Event] = []
                if source.phone_hash:
                    self.repository.move_phone(
                        tx, merchant_id, source.phone_hash, source_customer_id, survivor_customer_id
                    )
            else:
                target, read_version = survivor, survivor.version
                opening = expire(target, program, now)
                target.version = read_version + 1
                target.last_visit_at = max(target.last_visit_at, source.last_visit_at)
                if source.phone_hash:
                    self.repository.release_phone(tx, merchant_id, source.phone_hash, source_customer_id)
            opening.append(new_event(target, EventType.MERGE, points, at, other_customer_id=source_customer_id))
            target.lifetime_earned += source.lifetime_earned
            target.redeemed += source.redeemed
            try:
                self.repository.commit([Change(account=target, read_version=read_version, events=opening)], extra=tx)
            except StaleAccount:
                continue
            return target
        raise Conflict("Too many concurrent changes to these accounts; retry.", code="BUSY")
