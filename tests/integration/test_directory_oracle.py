"""The directory against an oracle: customers with awkward names, emails and phones, random queries,
filters and sorts; every page sequence must equal a brute-force filter and sort over the customers
themselves (no one missing, no one twice, the order exact), whether their entries are pending, packed,
or changed after packing.

The oracle is written here from the directory's documented meaning (OpenAPI description of
``GET /v1/customers``), not from ``customers/rules.py``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from anyascii import anyascii
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Stack

NAMES = [
    "Zoë", "ZOË", "Zoe", "Łukasz", "Lukas", "Søren", "Ærø", "Straße", "Strasse", "O\u2019Brien", "O'Brien",
    "D'Angelo", "van der Berg", "Van Der Berg", "de Vries", "Anne-Marie", "Jean-Luc", "张伟", "Ωμέγα", "Иван",
    "Nguyễn", "Ana", "ana", "Anaïs", "Émile", "Zed", "Bo",
]  # fmt: skip
LABELS = ["label_a", "label_b", "label_c"]
PREFS = ["pref_a", "pref_b"]
SITES = ["site_a", "site_b"]
GROUPS = ["group_a", "group_b"]
TIERS = ["gold", "silver"]  # a select custom attribute; "vip" is a boolean one, "note" a text one
SOURCES = ["manual", "legacy", "qr_signup"]
BASE_MS = 1_767_225_600_000  # 2026-01-01


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    from clientele.kernel.clock import isoformat

    return isoformat(datetime.fromtimestamp(ms / 1000, UTC))


name = st.one_of(
    st.none(), st.none(), st.sampled_from(NAMES), st.text(st.characters(categories=["L"]), min_size=1, max_size=6)
)


@st.composite
def customers(draw: Any) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 14))
    made = []
    for i in range(count):
        created = BASE_MS + draw(st.integers(0, 50)) * 1000  # ties on purpose
        local = draw(st.sampled_from(["zoe", "ana.b", "o.brien", "x", "zoe.l"]))
        made.append(
            {
                "given_name": draw(name),
                "family_name": draw(name),
                "email": draw(st.one_of(st.none(), st.just(f"{local}{i}@{draw(st.sampled_from(['ex.com', 'b.nl']))}"))),
                "phone": draw(
                    st.one_of(
                        st.none(),
                        st.just(f"+316{draw(st.integers(10_000, 99_999))}{i:03d}"),
                        st.just(f"+336{draw(st.integers(10_000, 99_999))}{i:03d}"),
                    )
                ),
                "created": created,
                "updated": created + draw(st.sampled_from([0, 0, 1000, 7000])),
                "last_visit": draw(st.one_of(st.none(), st.integers(0, 20).map(lambda s: BASE_MS + s * 60_000))),
                "source": draw(st.sampled_from(SOURCES)),
                "labels": sorted(draw(st.sets(st.sampled_from(LABELS)))),
                "marketing": {p: draw(st.booleans()) for p in draw(st.sets(st.sampled_from(PREFS)))},
                "sites": sorted(draw(st.sets(st.sampled_from(SITES)))),
                # Kept by the groups and memberships contexts through the directory's hooks.
                "groups": sorted(draw(st.sets(st.sampled_from(GROUPS)))),
                "member": draw(st.booleans()),
                "attributes": {
                    k: v
                    for k, v in (
                        ("vip", draw(st.one_of(st.none(), st.booleans()))),
                        ("tier", draw(st.one_of(st.none(), st.sampled_from(TIERS)))),
                        ("note", draw(st.one_of(st.none(), st.just("tier=gold")))),  # text never filters
                    )
                    if v is not None
                },
            }
        )
    return made


def _fold(text: str | None) -> str:
    return anyascii(text or "").lower()


def _tokens(c: dict[str, Any]) -> list[str]:
    found = []
    for word in f"{_fold(c['given_name'])} {_fold(c['family_name'])}".split():
        parts = re.findall(r"[a-z0-9]+", word)
        found += parts + (["".join(parts)] if len(parts) > 1 else [])
    return found


def _phone_hit(q: str, phone: str | None) -> bool:
    if not phone or not re.fullmatch(r"\+?[\d\s().\-/]+", q.strip()) or sum(ch.isdigit() for ch in q) < 3:
        return False
    digits, number = re.sub(r"\D", "", q), phone[1:]
    if q.strip().startswith("+"):
        return number.startswith(digits)
    if digits.startswith("00"):
        return number.startswith(digits[2:])
    national = digits.startswith("0") and number.startswith("31" + digits[1:])  # the merchant is in NL
    return national or number.startswith(digits) or (len(digits) >= 4 and number.endswith(digits))


def _kept_elsewhere(c: dict[str, Any], query: dict[str, Any]) -> bool:
    """Groups, membership (other contexts' hooks) and custom attributes (boolean and select filter)."""
    if any(g not in c["groups"] for g in query["groups"]):
        return False
    if query["member"] is not None and c["member"] != query["member"]:
        return False
    for key, wanted in query["attributes"]:
        held = c["attributes"].get(key)
        if held is None or (str(held).lower() if isinstance(held, bool) else held) != wanted:
            return False
    return True


def _oracle(made: list[dict[str, Any]], query: dict[str, Any]) -> list[str]:
    def hit(c: dict[str, Any]) -> bool:
        if any(label not in c["labels"] for label in query["labels"]):
            return False
        if any(not c["marketing"].get(p) for p in query["prefs"]):
            return False
        if any(s not in c["sites"] for s in query["sites"]) or (query["source"] and c["source"] != query["source"]):
            return False
        if not _kept_elsewhere(c, query):
            return False
        q = query["q"]
        if not q:
            return True
        words = re.findall(r"[a-z0-9]+", _fold(q))
        by_name = bool(words) and all(any(t.startswith(w) for t in _tokens(c)) for w in words)
        start = _fold(q).strip()
        by_email = bool(c["email"]) and bool(start) and c["email"].lower().startswith(start)
        return by_name or by_email or _phone_hit(q, c["phone"])

    def value(c: dict[str, Any]) -> Any:
        if query["sort"] == "name":
            if not _fold(c["given_name"]).strip() and not _fold(c["family_name"]).strip():
                return None
            return (_fold(c["family_name"]).strip(), _fold(c["given_name"]).strip())
        return {"created": c["created_at"], "updated": c["updated_at"], "last_visit": c["last_visit_at"]}[query["sort"]]

    found = [c for c in made if hit(c)]
    desc = query["order"] == "desc"
    valued = sorted((c for c in found if value(c) is not None), key=lambda c: (value(c), c["id"]), reverse=desc)
    rest = sorted((c for c in found if value(c) is None), key=lambda c: c["id"], reverse=desc)
    return [c["id"] for c in valued + rest]


def _some(values: list[str], most: int) -> st.SearchStrategy[list[str]]:
    chosen = st.sets(st.sampled_from(sorted(values)), min_size=1, max_size=most).map(sorted)
    return st.one_of(st.just([]), st.just([]), st.just([]), chosen)


@st.composite
def queries(draw: Any, made: list[dict[str, Any]]) -> dict[str, Any]:
    kind = draw(st.sampled_from(["none", "name", "name", "email", "phone", "phone", "junk"]))
    with_it = [c for c in made if c["phone"]] if kind == "phone" else [c for c in made if c["email"]]
    someone = draw(st.sampled_from(with_it if kind in ("phone", "email") and with_it else made))
    candidates: list[str] = {"none": [""], "junk": ["zz", "an", "van der", "0", "12"]}.get(kind, [])
    tokens = _tokens(someone)
    if kind == "name" and tokens:
        token = draw(st.sampled_from(tokens))
        candidates += [token[: draw(st.integers(1, len(token)))], token.upper()]
    for raw in (someone["given_name"], someone["family_name"]):
        if kind == "name" and raw:
            candidates.append(raw[: draw(st.integers(1, len(raw)))])
    if kind == "email" and someone["email"]:
        candidates.append(someone["email"][: draw(st.integers(1, len(someone["email"])))].upper())
    if kind == "phone" and someone["phone"]:
        number = someone["phone"]
        cut = draw(st.integers(6, len(number)))
        candidates += [number[-4:], "0" + number[3:6] + " " + number[6:cut], "+" + number[1:3] + " " + number[3:cut]]
    candidates = candidates or [""]
    return {
        "q": draw(st.sampled_from(candidates)),
        # Filters are few and mostly the chosen customer's own, so that pages are seldom empty.
        "labels": draw(_some(someone["labels"] or LABELS, 2)),
        "prefs": draw(_some([p for p, v in someone["marketing"].items() if v] or PREFS, 1)),
        "sites": draw(_some(someone["sites"] or SITES, 1)),
        "source": draw(st.sampled_from([None, None, None, someone["source"], "legacy"])),
        "groups": draw(_some(someone["groups"] or GROUPS, 1)),
        "member": draw(st.sampled_from([None, None, someone["member"], not someone["member"]])),
        "attributes": draw(
            st.sampled_from(
                [
                    [],
                    [],
                    [("vip", str(someone["attributes"].get("vip", True)).lower())],
                    [("tier", someone["attributes"].get("tier", "gold"))],
                    [("tier", "silver"), ("vip", "false")],
                ]
            )
        ),
        "sort": draw(st.sampled_from(["name", "created", "updated", "last_visit"])),
        "order": draw(st.sampled_from(["asc", "desc"])),
        "limit": draw(st.integers(1, 5)),
    }


def _seed(merchant_id: str, made: list[dict[str, Any]]) -> None:
    """Through the repository layer, as the API would store them (contact details normalised)."""
    from clientele.account.model import AttributeType, CustomAttributeDefinition
    from clientele.account.wiring import merchants
    from clientele.customers.model import AttributeValue, AuditEntry, ContactHashes, Customer, PreferenceChoice, Source
    from clientele.customers.wiring import customers as repository
    from clientele.kernel import contact
    from clientele.platform.secrets import app_secret

    for key, kind, options in (("vip", AttributeType.BOOLEAN, []), ("tier", AttributeType.SELECT, TIERS)):
        merchants().add_attribute(
            merchant_id, CustomAttributeDefinition(key=key, name=key, type=kind, options=options, created_at="x")
        )
    kinds = {"vip": "boolean", "tier": "select", "note": "text"}
    secret = app_secret()
    for n, c in enumerate(made):
        c["id"] = f"cus_{merchant_id[-6:]}{n:04d}{uuid.uuid4().hex[:6]}"
        c["created_at"], c["updated_at"] = _iso(c["created"]), _iso(c["updated"])
        c["last_visit_at"] = _iso(c["last_visit"]) if c["last_visit"] is not None else None
        customer = Customer(
            id=c["id"],
            merchant_id=merchant_id,
            given_name=c["given_name"],
            family_name=c["family_name"],
            email=c["email"],
            phone=c["phone"],
            labels=c["labels"],
            marketing={
                p: PreferenceChoice(opted_in=v, changed_at=c["created_at"], source="manual")
                for p, v in c["marketing"].items()
            },
            site_ids=c["sites"],
            attributes={k: AttributeValue(type=kinds[k], value=v) for k, v in c["attributes"].items()},
            source=Source(c["source"]),
            created_at=c["created_at"],
            updated_at=c["updated_at"],
            last_visit_at=c["last_visit_at"],
        )
        hashes = ContactHashes(
            contact.email_hash(secret, c["email"]) if c["email"] else None,
            contact.phone_hash(secret, c["phone"]) if c["phone"] else None,
        )
        audit = AuditEntry(id=f"audit_{n}", customer_id=c["id"], at=c["created_at"], actor="key_test", action="created")
        repository().create(customer, hashes, audit)
    hooks = repository().table.transaction()
    repository().directory.set_many(
        hooks,
        merchant_id,
        groups={c["id"]: c["groups"] for c in made if c["groups"]},
        memberships={c["id"]: c["member"] for c in made if c["member"] or int(c["id"][-1], 16) % 2},
    )
    if len(hooks):
        hooks.commit()


def _rename(merchant_id: str, c: dict[str, Any], given: str | None) -> None:
    from clientele.customers.model import ContactHashes
    from clientele.customers.wiring import customers as repository

    current = repository().get(merchant_id, c["id"])
    c["given_name"] = given
    c["updated"] += 2000
    c["updated_at"] = _iso(c["updated"])
    changed = current.model_copy(update={"given_name": given, "version": 2, "updated_at": c["updated_at"]})
    audit_id = f"audit_r_{c['id']}"
    from clientele.customers.model import AuditEntry

    audit = AuditEntry(id=audit_id, customer_id=c["id"], at=c["updated_at"], actor="key_test", action="updated")
    repository().update(changed, 1, ContactHashes(None, None), ContactHashes(None, None), audit)


def _regroup(merchant_id: str, c: dict[str, Any], groups: list[str], member: bool) -> None:
    from clientele.customers.wiring import customers as repository

    c["groups"], c["member"] = groups, member
    tx = repository().table.transaction()
    repository().directory.set_groups(tx, merchant_id, c["id"], groups)
    tx.commit()
    tx = repository().table.transaction()
    repository().directory.set_has_membership(tx, merchant_id, c["id"], member)
    tx.commit()


def _pages(merchant_id: str, query: dict[str, Any]) -> list[str]:
    from clientele.customers.rules import Order, Query, SortKey
    from clientele.customers.wiring import directory_service
    from clientele.kernel.permissions import Principal, Role

    who = Principal(merchant_id=merchant_id, key_id="key_test", role=Role.OWNER, country="NL")
    domain = Query(
        q=query["q"] or None,
        labels=tuple(query["labels"]),
        preferences=tuple(query["prefs"]),
        sites=tuple(query["sites"]),
        source=query["source"],
        groups=tuple(query["groups"]),
        has_membership=query["member"],
        attributes=tuple(f"{k}={v}" for k, v in sorted(query["attributes"])),
        sort=SortKey(query["sort"]),
        order=Order(query["order"]),
    )
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        page = directory_service().search(who, domain, limit=query["limit"], cursor=cursor)
        assert len(page.items) <= query["limit"]
        seen += [c.id for c in page.items]
        cursor = page.cursor
        if not cursor:
            return seen
    raise AssertionError("the pages never ended")


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(data=st.data(), made=customers(), pack_after=st.sampled_from([1, 4, 10_000]))
def test_every_page_sequence_equals_the_brute_force_answer(
    stack: Stack, data: Any, made: list[dict[str, Any]], pack_after: int
) -> None:
    from clientele.customers import directory

    merchant_id = f"m_oracle_{uuid.uuid4().hex[:12]}"
    before = directory.PACK_AFTER
    directory.PACK_AFTER = pack_after
    try:
        _seed(merchant_id, made)
        for _ in range(5):
            query = data.draw(queries(made))
            assert _pages(merchant_id, query) == _oracle(made, query), query
        renamed = data.draw(st.sampled_from(made))  # a change after the shard may have been packed
        _rename(merchant_id, renamed, data.draw(name))
        regrouped = data.draw(st.sampled_from(made))  # and a group or membership change after it
        _regroup(merchant_id, regrouped, sorted(data.draw(st.sets(st.sampled_from(GROUPS)))), data.draw(st.booleans()))
        for _ in range(3):
            query = data.draw(queries(made))
            assert _pages(merchant_id, query) == _oracle(made, query), query
    finally:
        directory.PACK_AFTER = before
