"""The directory jobs' pure rules: what a merge keeps, how counters are replayed, which customers look
alike, and how a cell is made safe for a spreadsheet. No I/O; unit-tested."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from clientele.customers.model import Customer, PreferenceChoice
from clientele.directory_jobs.model import FieldConflict
from clientele.sales.model import Sale
from clientele.sales.rules import ALL_SITES, CounterState, MerchantCounts, effects

# ------------------------------------------------------------------------------------------ merge
SINGLE_FIELDS = ("given_name", "family_name", "email", "phone", "birthday", "locale")


def _shown(value: Any) -> str:
    if isinstance(value, PreferenceChoice):
        return f"{'opted in' if value.opted_in else 'opted out'} ({value.source}, {value.changed_at})"
    return str(value)


def merge_profiles(survivor: Customer, source: Customer) -> tuple[dict[str, Any], list[FieldConflict]]:
    """The survivor's fields after taking ``source`` in, and each field both held differently.

    A single-valued field keeps the survivor's value (the source's fills it when the survivor has none);
    lists (labels, addresses, sites visited) are united; each marketing choice is the more recent explicit
    one; the consent record kept is the survivor's, the source's goes to the dropped values.
    """
    changes: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    for name in SINGLE_FIELDS:
        mine, theirs = getattr(survivor, name), getattr(source, name)
        if mine is None and theirs is not None:
            changes[name] = theirs
        elif mine is not None and theirs is not None and mine != theirs:
            conflicts.append(FieldConflict(field=name, kept=_shown(mine), dropped=_shown(theirs)))
    labels = sorted(set(survivor.labels) | set(source.labels))
    if labels != survivor.labels:
        changes["labels"] = labels
    addresses = list(survivor.addresses) + [a for a in source.addresses if a not in survivor.addresses]
    if addresses != survivor.addresses:
        changes["addresses"] = addresses
    marketing = _merged_marketing(survivor, source, conflicts)
    if marketing != survivor.marketing:
        changes["marketing"] = marketing
    _merge_consent(survivor, source, changes, conflicts)
    sites = list(dict.fromkeys([*survivor.site_ids, *source.site_ids]))
    if sites != survivor.site_ids:
        changes["site_ids"] = sites
    visits = [v for v in (survivor.last_visit_at, source.last_visit_at) if v]
    if visits and max(visits) != survivor.last_visit_at:
        changes["last_visit_at"] = max(visits)
    return changes, conflicts


def _merged_marketing(
    survivor: Customer, source: Customer, conflicts: list[FieldConflict]
) -> dict[str, PreferenceChoice]:
    """Per preference, the more recent explicit choice of the two."""
    marketing = dict(survivor.marketing)
    for preference_id, theirs in source.marketing.items():
        mine = marketing.get(preference_id)
        if mine is None or theirs.changed_at > mine.changed_at:
            marketing[preference_id] = theirs
        if mine is not None and mine.opted_in != theirs.opted_in:
            kept, dropped = (theirs, mine) if theirs.changed_at > mine.changed_at else (mine, theirs)
            conflicts.append(
                FieldConflict(field=f"marketing.{preference_id}", kept=_shown(kept), dropped=_shown(dropped))
            )
    return marketing


def _merge_consent(
    survivor: Customer, source: Customer, changes: dict[str, Any], conflicts: list[FieldConflict]
) -> None:
    if survivor.consent is None and source.consent is not None:
        changes["consent"] = source.consent
    elif survivor.consent is not None and source.consent is not None and survivor.consent != source.consent:
        conflicts.append(
            FieldConflict(
                field="consent",
                kept=f"{survivor.consent.version} ({survivor.consent.source}, {survivor.consent.given_at})",
                dropped=f"{source.consent.version} ({source.consent.source}, {source.consent.given_at})",
            )
        )


def dropped_note(source_id: str, conflicts: list[FieldConflict]) -> str:
    """The note that keeps the dropped values, so nothing is lost silently."""
    lines = [f"Merged from {source_id}. Values not kept:"]
    lines += [f"- {c.field}: {c.dropped} (kept: {c.kept})" for c in conflicts]
    return "\n".join(lines)[:2000]


# ------------------------------------------------------------------------------------------ counters
@dataclass
class CustomerStats:
    """One of a customer's counter items (overall, or at one site), as a replay of their sales makes it."""

    scope: str
    sale_count: int = 0
    purchase_count: int = 0
    refund_count: int = 0
    exchange_count: int = 0
    spent: dict[str, int] = field(default_factory=dict)
    first_visit_at: str | None = None
    last_visit_at: str | None = None


@dataclass
class Replay:
    stats: dict[str, CustomerStats] = field(default_factory=dict)  # scope -> counters
    # (scope, day or None) -> [customers, returning customers] the sales added to the merchant's counters
    merchant: dict[tuple[str, str | None], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


def replay(sales: Iterable[Sale]) -> Replay:
    """Replay one customer's sales in the order they happened with :func:`sales.rules.effects`."""
    result = Replay()
    for sale in sorted(sales, key=lambda s: (s.occurred_at, s.id)):
        overall = result.stats.get(ALL_SITES) or CustomerStats(ALL_SITES)
        at_site = result.stats.get(sale.site_id) or CustomerStats(sale.site_id)
        moved = effects(
            sale,
            CounterState(overall.sale_count, overall.purchase_count, at_site.sale_count, at_site.purchase_count),
        )
        for counts in moved.customer:
            stats = result.stats.setdefault(counts.scope, CustomerStats(counts.scope))
            stats.sale_count += 1
            stats.purchase_count += counts.purchase
            stats.refund_count += counts.refund
            stats.exchange_count += counts.exchange
            stats.spent[counts.currency] = stats.spent.get(counts.currency, 0) + counts.spent
            stats.first_visit_at = stats.first_visit_at or counts.at
            stats.last_visit_at = counts.at
        for merchant in moved.merchant:
            result.merchant[(merchant.scope, merchant.day)].update(
                customers=merchant.customers, returning=merchant.returning_customers
            )
    return result


def counter_corrections(survivor: list[Sale], source: list[Sale]) -> list[MerchantCounts]:
    """What the merchant's counters must move so they read as if one customer had made every sale:
    the merged replay minus what each profile's own sales added (sales themselves stay counted)."""
    merged, mine, theirs = replay([*survivor, *source]), replay(survivor), replay(source)
    scopes = set(merged.merchant) | set(mine.merchant) | set(theirs.merchant)
    corrections = []
    for scope, day in sorted(scopes, key=lambda k: (k[0], k[1] or "")):
        delta = {
            name: merged.merchant[(scope, day)][name]
            - mine.merchant[(scope, day)][name]
            - theirs.merchant[(scope, day)][name]
            for name in ("customers", "returning")
        }
        if delta["customers"] or delta["returning"]:
            corrections.append(
                MerchantCounts(scope, day, customers=delta["customers"], returning_customers=delta["returning"])
            )
    return corrections


# ------------------------------------------------------------------------------------------ duplicates
NAME_THRESHOLD = 88  # rapidfuzz token_sort_ratio at or above which two full names look alike
BLOCK_LIMIT = 50  # a block larger than this (a very common name token) is compared within its first ones only
PHONE_SUFFIX = 7


@dataclass(frozen=True)
class Person:
    """What the duplicate rules look at: a folded name, a lower-cased email, an E.164 phone."""

    id: str
    name: str  # folded "given family"
    email: str
    phone: str


def blocks(people: Iterable[Person]) -> dict[str, list[Person]]:
    """Candidates share a block: the same email, the same last digits of a phone, or a name token.
    Only people in one block are ever compared, so the work grows with block sizes, not all pairs."""
    found: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        if person.email:
            found[f"e:{person.email}"].append(person)
        if person.phone:
            found[f"p:{person.phone[-PHONE_SUFFIX:]}"].append(person)
        for token in set(person.name.split()):
            if len(token) >= 2:
                found[f"n:{token}"].append(person)
    return {key: members for key, members in found.items() if len(members) > 1}


@dataclass
class Comparison:
    pairs: dict[tuple[str, str], tuple[set[str], int]] = field(default_factory=dict)
    comparisons: int = 0


def likely_duplicates(people: list[Person], threshold: int = NAME_THRESHOLD) -> Comparison:
    """Pairs that look like the same person, each with its reasons and a score, and how many
    comparisons it took."""
    from rapidfuzz import fuzz

    outcome = Comparison()
    seen: set[tuple[str, str]] = set()
    for block in blocks(people).values():
        members = block[:BLOCK_LIMIT]
        for i, first in enumerate(members):
            for second in members[i + 1 :]:
                pair = (first.id, second.id) if first.id < second.id else (second.id, first.id)
                if pair in seen:
                    continue
                seen.add(pair)
                outcome.comparisons += 1
                reasons, score = reasons_for(first, second, threshold, fuzz.token_sort_ratio)
                if reasons:
                    outcome.pairs[pair] = (reasons, score)
    return outcome


def reasons_for(first: Person, second: Person, threshold: int, ratio: Any) -> tuple[set[str], int]:
    reasons: set[str] = set()
    score = 0
    if first.email and first.email == second.email:
        reasons.add("same_email")
        score = 100
    if first.phone and first.phone == second.phone:
        reasons.add("same_phone")
        score = 100
    if first.name and second.name and len(first.name.split()) > 1 and len(second.name.split()) > 1:
        similarity = round(float(ratio(first.name, second.name)))
        if similarity >= threshold:
            reasons.add("similar_name")
            score = max(score, similarity)
    return reasons, score


def matches_for(
    person: Person, others: Iterable[Person], threshold: int = NAME_THRESHOLD
) -> list[tuple[str, list[str]]]:
    """The people ``person`` looks like (a new or imported customer against the list), with reasons."""
    from rapidfuzz import fuzz

    keys = set()
    if person.email:
        keys.add(f"e:{person.email}")
    if person.phone:
        keys.add(f"p:{person.phone[-PHONE_SUFFIX:]}")
    keys |= {f"n:{t}" for t in person.name.split() if len(t) >= 2}
    found = []
    for other in others:
        if other.id == person.id:
            continue
        theirs = {f"e:{other.email}"} if other.email else set()
        if other.phone:
            theirs.add(f"p:{other.phone[-PHONE_SUFFIX:]}")
        theirs |= {f"n:{t}" for t in other.name.split() if len(t) >= 2}
        if not keys & theirs:
            continue
        reasons, _ = reasons_for(person, other, threshold, fuzz.token_sort_ratio)
        if reasons:
            found.append((other.id, sorted(reasons)))
    return found


# ------------------------------------------------------------------------------------------ exports
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (OWASP CSV injection): one that starts
    with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def chunked(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def amount(minor: int, currency: str) -> str:
    """Minor units as the plain decimal a spreadsheet reads as a number: ``4500, "EUR"`` -> ``"45.00"``,
    ``4500, "JPY"`` -> ``"4500"`` (the currency's own number of decimals)."""
    from decimal import Decimal

    from babel.numbers import get_currency_precision

    digits = get_currency_precision(currency.upper())
    return f"{Decimal(minor).scaleb(-digits):.{digits}f}"
