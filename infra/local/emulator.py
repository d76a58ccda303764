"""Adaptations of moto that let it serve as a long-running, multi-threaded local AWS.

moto is built for unit tests that last seconds and make one call at a time. The local stack runs it for a
working day, with the gateway, the queue pollers and the scheduler calling it from several threads, and the
test suite pushes thousands of transactions through one in-process ``mock_aws()``. :func:`install` (called by
``LocalStack.start`` and by the test suite's ``stack`` fixture; idempotent) adapts three things, each small and
checked against the moto it patches:

1. **TransactWriteItems without whole-table copies.** moto (5.x, ``DynamoDBBackend.transact_write_items``)
   ``copy.deepcopy``-s every table a transaction touches before applying it, to put the copy back if the
   transaction is cancelled. That costs time and memory proportional to the *tables*, on every transaction:
   late in a long local session a single write took tens of seconds, and the copy iterates dictionaries that
   another thread may be changing (``RuntimeError: dictionary changed size during iteration``). It is
   replaced by :func:`transact_write_items`, which keeps an undo log of the items it touches (their previous
   version, or "absent") and replays it backwards on cancellation: O(items in the transaction). The semantics
   are DynamoDB's and moto's: all or nothing; ``CancellationReasons`` in request order (``None`` for the
   items that did not fail); ``ReturnValuesOnConditionCheckFailure: ALL_OLD`` returns the item; two
   operations on one item, or more than 100, are a ``ValidationException`` and change nothing.
   Upstream: no moto issue reports the whole-table copy yet (related: getmoto/moto#9670 made the ``Item``
   deep copy of query results cheaper, not this one); one is to be filed, titled "DynamoDB
   transact_write_items deep-copies every table it touches (O(table) per call, not thread-safe)". When a
   moto release no longer copies tables, :func:`install` leaves its transactions alone.

2. **One thread at a time in the emulated backends.** moto's backends are plain dictionaries and lists
   without locks. :data:`EMULATOR_LOCK` is taken around each request at moto's two entry points (the
   server's Flask view wrapper and the in-process botocore stubber), so a request sees and leaves the
   backends consistent; it is let go of while an SQS ``ReceiveMessage`` long-polls, so a poller waiting for
   messages never blocks the rest. The product's functions are not serialised by it: only their AWS calls
   are, one request at a time, as DynamoDB serialises conflicting writes itself. Code that reads backends
   directly (the outbox) takes the same lock.

3. **Bounded bookkeeping.** An SQS queue remembers the receipt handle of every message ever deleted (to
   accept a repeated delete); it keeps the most recent :data:`DELETED_HANDLES_KEPT` instead. A ``GetItem``
   or ``DeleteItem`` that misses on a table with a sort key leaves an empty partition behind in moto (a
   ``defaultdict`` lookup); those are removed.

4. **No record of every object ever made.** moto's ``BaseModel.__new__`` appends every instance of every
   emulated resource to a list on its class (``instances_tracked``, read only by moto's dashboard and by S3's
   reset), and nothing ever removes them: every DynamoDB ``Item`` copied for a query result or an update, every
   stream record, shard iterator and SQS message stays alive for the life of the process. Over a working day
   that is most of the stack's memory growth (measured with ``make soak``: the ``Item`` objects alive grew
   about 14 times faster than the items stored). :func:`_install_weak_tracking` makes those lists weak
   (:class:`WeakInstances`): the dashboard still lists every live object, and what moto no longer holds is
   freed. Upstream: no moto issue reports it yet; one is to be filed, titled "BaseModel.instances_tracked
   keeps every model instance alive (unbounded memory in long-running moto server)".
"""

from __future__ import annotations

import copy
import functools
import inspect
import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)

DELETED_HANDLES_KEPT = 10_000
_MAX_TRANSACTION_ITEMS = 100


class EmulatorLock:
    """A re-entrant lock whose holder can let go of it entirely while it waits (see :meth:`released`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()

    def _depth(self) -> int:
        return int(getattr(self._local, "depth", 0))

    def acquire(self) -> None:
        depth = self._depth()
        if depth == 0:
            self._lock.acquire()
        self._local.depth = depth + 1

    def release(self) -> None:
        depth = self._depth()
        if depth == 0:
            raise RuntimeError("release of an emulator lock this thread does not hold")
        self._local.depth = depth - 1
        if depth == 1:
            self._lock.release()

    def held(self) -> bool:
        """Whether this thread holds the lock."""
        return self._depth() > 0

    def __enter__(self) -> EmulatorLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    @contextmanager
    def released(self) -> Iterator[None]:
        """Let other threads in for the block (if this thread holds the lock), then take it back."""
        depth = self._depth()
        if depth:
            self._local.depth = 0
            self._lock.release()
        try:
            yield
        finally:
            if depth:
                self._lock.acquire()
                self._local.depth = depth


EMULATOR_LOCK = EmulatorLock()

_INSTALL_LOCK = threading.Lock()
_installed = False


def install() -> None:
    """Adapt the imported moto (idempotent; safe to call from several places)."""
    global _installed  # noqa: PLW0603
    with _INSTALL_LOCK:
        if _installed:
            return
        _install_transactions()
        _install_lock()
        _install_bounded_bookkeeping()
        _install_weak_tracking()
        _installed = True


# ----------------------------------------------------------------------------------------------- transactions


def _install_transactions() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items
    if "deepcopy" not in inspect.getsource(original):
        logger.info("moto's transact_write_items no longer copies tables: left as it is")
        return
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _peek(table: Any, hash_key: Any, range_key: Any) -> Any:
    """The stored item, or None, without creating an empty partition (unlike ``Table.get_item``)."""
    if table.range_key_attr is None:
        return table.items.get(hash_key)
    partition = table.items.get(hash_key)
    return partition.get(range_key) if partition else None


def _restore(table: Any, hash_key: Any, range_key: Any, previous: Any) -> None:
    """Put ``previous`` (an ``Item``, or None for "absent") back at its key."""
    if table.range_key_attr is None:
        if previous is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = previous
        return
    if previous is None:
        partition = table.items.get(hash_key)
        if partition is not None:
            partition.pop(range_key, None)
            if not partition:
                table.items.pop(hash_key, None)
    else:
        table.items[hash_key][range_key] = previous


class _UndoLog:
    """What a transaction changed, to be undone in reverse order if it is cancelled."""

    def __init__(self) -> None:
        self._entries: list[tuple[Any, Any, Any, Any]] = []
        self._stream_lengths: dict[int, tuple[Any, int]] = {}

    def record(self, table: Any, hash_key: Any, range_key: Any, *, mutated_in_place: bool) -> None:
        current = _peek(table, hash_key, range_key)
        # An update changes the stored Item object itself; a put or a delete replaces or removes it.
        previous = copy.deepcopy(current) if mutated_in_place and current is not None else current
        self._entries.append((table, hash_key, range_key, previous))
        shard = table.stream_shard
        if shard is not None and id(shard) not in self._stream_lengths:
            self._stream_lengths[id(shard)] = (shard, len(shard.items))

    def rollback(self) -> None:
        for table, hash_key, range_key, previous in reversed(self._entries):
            _restore(table, hash_key, range_key, previous)
        for shard, length in self._stream_lengths.values():
            del shard.items[length:]  # a cancelled transaction leaves no stream records
        self._entries.clear()
        self._stream_lengths.clear()


class _ConditionFailed(Exception):
    """A condition of the transaction failed; ``item`` is what ``ReturnValuesOnConditionCheckFailure`` returns."""

    def __init__(self, item: dict[str, Any] | None) -> None:
        super().__init__("The conditional request failed")
        self.item = item


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """``DynamoDBBackend.transact_write_items`` with an undo log instead of whole-table copies.

    The checks and the order of operations are moto's own (see its ``transact_write_items``); only the way a
    cancelled transaction is rolled back differs, and every error raised part-way rolls back too.
    """
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > _MAX_TRANSACTION_ITEMS:
        raise TooManyTransactionsException()

    undo = _UndoLog()
    targets: set[tuple[str, str]] = set()
    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    try:
        for request in transact_items:
            if len(request) > 1:
                raise TransactWriteSingleOpException
            try:
                _apply(self, request, targets, undo)
                errors.append((None, None, None))
            except MockValidationException:  # two operations on one item, a malformed key: the whole call fails
                raise
            except _ConditionFailed as failed:
                errors.append(("ConditionalCheckFailed", str(failed), failed.item))
            except ConditionalCheckFailed as error:
                errors.append(("ConditionalCheckFailed", str(error.message), None))
            except Exception as error:
                errors.append((type(error).__name__, str(error), None))
    except BaseException:
        undo.rollback()
        raise
    if any(code is not None for code, _, _ in errors):
        undo.rollback()
        raise TransactionCanceledException(errors)


def _apply(backend: Any, request: dict[str, Any], targets: set[tuple[str, str]], undo: _UndoLog) -> None:
    """One operation of a transaction, recorded in ``undo`` before it writes."""
    from moto.dynamodb.exceptions import MultipleTransactionsException
    from moto.dynamodb.models import get_filter_expression

    op_type, op = next(iter(request.items()))
    if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
        raise ValueError("Unsupported transaction operation")
    table_name = op["TableName"]
    condition = op.get("ConditionExpression")
    names = op.get("ExpressionAttributeNames")
    values = op.get("ExpressionAttributeValues")
    if op_type == "Put":
        table = backend.get_table(table_name)
        attrs = op["Item"]
        key = {table.hash_key_attr: attrs[table.hash_key_attr]}
        if table.range_key_attr is not None:
            key[table.range_key_attr] = attrs[table.range_key_attr]
    else:
        key = op["Key"]

    target = (str(table_name), str(dict(sorted(key.items()))))
    if target in targets:
        raise MultipleTransactionsException()
    targets.add(target)

    table = backend.get_table(table_name)
    hash_key, range_key = backend.get_keys_value(table, key)
    current = _peek(table, hash_key, range_key)
    if condition is not None and not get_filter_expression(condition, names, values).expr(current):
        asked = op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
        raise _ConditionFailed(current.to_json()["Attributes"] if asked and current is not None else None)

    expressions = {
        "condition_expression": condition,
        "expression_attribute_names": names,
        "expression_attribute_values": values,
    }
    if op_type == "Put":
        undo.record(table, hash_key, range_key, mutated_in_place=False)
        backend.put_item(table_name, op["Item"], **expressions)
    elif op_type == "Delete":
        undo.record(table, hash_key, range_key, mutated_in_place=False)
        backend.delete_item(table_name, key, **expressions)
    elif op_type == "Update":
        # An update changes the stored Item itself, so the undo log keeps a copy of it (O(item)).
        undo.record(table, hash_key, range_key, mutated_in_place=True)
        backend.update_item(table_name, key, update_expression=op["UpdateExpression"], **expressions)


# ----------------------------------------------------------------------------------------------- one thread at a time


def _locked(method: Any) -> Any:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with EMULATOR_LOCK:
            return method(*args, **kwargs)

    wrapper.__emulator_locked__ = True  # type: ignore[attr-defined]
    return wrapper


def _install_lock() -> None:
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.core.utils import convert_to_flask_response
    from moto.sqs.models import Queue

    # The in-process entry (mock_aws) and the server's entry (every Flask view of moto's server).
    BotocoreStubber.process_request = _locked(BotocoreStubber.process_request)  # type: ignore[method-assign]
    convert_to_flask_response.__call__ = _locked(convert_to_flask_response.__call__)  # type: ignore[method-assign]

    wait_for_messages = Queue.wait_for_messages

    @functools.wraps(wait_for_messages)
    def wait_unlocked(self: Any, timeout: int) -> None:
        # ReceiveMessage with WaitTimeSeconds waits here, one second at a time, for a message to arrive.
        with EMULATOR_LOCK.released():
            wait_for_messages(self, timeout)

    Queue.wait_for_messages = wait_unlocked  # type: ignore[method-assign]


# ----------------------------------------------------------------------------------------------- bounded bookkeeping


class RecentSet:
    """The set operations moto's SQS uses on ``deleted_messages``, keeping the ``limit`` newest members."""

    def __init__(self, limit: int = DELETED_HANDLES_KEPT, members: Iterable[Any] = ()) -> None:
        self.limit = limit
        self._members: OrderedDict[Any, None] = OrderedDict()
        self.update(members)

    def add(self, member: Any) -> None:
        self._members[member] = None
        self._members.move_to_end(member)
        while len(self._members) > self.limit:
            self._members.popitem(last=False)

    def update(self, members: Iterable[Any]) -> None:
        for member in members:
            self.add(member)

    def discard(self, member: Any) -> None:
        self._members.pop(member, None)

    def __contains__(self, member: object) -> bool:
        return member in self._members

    def __len__(self) -> int:
        return len(self._members)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._members))


def _install_bounded_bookkeeping() -> None:
    from moto.dynamodb.models.table import Table
    from moto.sqs.models import Queue

    queue_init = Queue.__init__

    @functools.wraps(queue_init)
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        queue_init(self, *args, **kwargs)
        self.deleted_messages = RecentSet(DELETED_HANDLES_KEPT, self.deleted_messages)

    Queue.__init__ = init  # type: ignore[method-assign]

    def tidy(method: Any) -> Any:
        @functools.wraps(method)
        def wrapper(self: Any, hash_key: Any, range_key: Any = None, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, hash_key, range_key, *args, **kwargs)
            finally:
                if self.range_key_attr is not None and hash_key in self.items and not self.items[hash_key]:
                    del self.items[hash_key]

        return wrapper

    Table.get_item = tidy(Table.get_item)  # type: ignore[method-assign]
    Table.delete_item = tidy(Table.delete_item)  # type: ignore[method-assign]


# ----------------------------------------------------------------------------------------------- weak tracking


class WeakInstances:
    """The list operations moto uses on ``instances_tracked`` (append, iterate, len), holding weak references:
    an instance is listed while something else keeps it alive, and freed when nothing does."""

    def __init__(self, members: Iterable[Any] = ()) -> None:
        self._refs: list[weakref.ref[Any]] = []
        self._since_sweep = 0
        for member in members:
            self.append(member)

    def append(self, member: Any) -> None:
        try:
            self._refs.append(weakref.ref(member))
        except TypeError:  # a class without weak reference support (none in moto 5): not tracked
            return
        self._since_sweep += 1
        if self._since_sweep >= max(1024, len(self._refs) // 2):  # amortised O(1): drop dead references
            self._refs = [ref for ref in self._refs if ref() is not None]
            self._since_sweep = 0

    def __iter__(self) -> Iterator[Any]:
        return iter([member for member in (ref() for ref in self._refs) if member is not None])

    def __len__(self) -> int:
        return sum(1 for ref in self._refs if ref() is not None)


def _install_weak_tracking() -> None:
    from moto.core import model_instances
    from moto.core.common_models import BaseModel

    def tracked(cls: type) -> WeakInstances:
        instances = cls.__dict__.get("instances_tracked")
        if not isinstance(instances, WeakInstances):  # a class made earlier, or after moto's reset_model_data
            instances = WeakInstances(instances or ())
            cls.instances_tracked = instances  # type: ignore[attr-defined]
        return instances

    def new(cls: type, *args: Any, **kwargs: Any) -> Any:
        instance: Any = object.__new__(cls)
        tracked(cls).append(instance)
        return instance

    BaseModel.__new__ = new  # type: ignore[method-assign]
    for models in model_instances.model_data.values():
        for model in models.values():
            if isinstance(model, type):
                tracked(model)
