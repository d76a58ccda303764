"""Groups in plain words, in English, French and Dutch: each group's criteria, and why a customer is in it.

Pure: the names of labels, sites and preferences are passed in. Dates are written the way the locale
writes a short day ("3 Mar", "3 mars", "3 mrt"); money with the locale's currency format (Babel).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from clientele.groups.model import Criteria, Group, LastVisit, Period, Reason, SystemKey, Unit
from clientele.kernel.money import Money

LOCALES = ("en", "fr", "nl")

_UNITS = {
    "en": {Unit.DAYS: ("day", "days"), Unit.WEEKS: ("week", "weeks"), Unit.MONTHS: ("month", "months")},
    "fr": {Unit.DAYS: ("jour", "jours"), Unit.WEEKS: ("semaine", "semaines"), Unit.MONTHS: ("mois", "mois")},
    "nl": {Unit.DAYS: ("dag", "dagen"), Unit.WEEKS: ("week", "weken"), Unit.MONTHS: ("maand", "maanden")},
}

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "visits": "at least {n} visits in the last {period}",
        "spend": "spent at least {amount} in the last {period}",
        "before_on": "last visit before {day}",
        "before_ago": "last visit {period} ago or more",
        "after_on": "last visit after {day}",
        "after_ago": "last visit within the last {period}",
        "labels": "labelled {names}",
        "site": "at {name}",
        "sources": "created by {names}",
        "preference": "opted into {name}",
        "and": "; ",
        "lapsed": "were Regulars at their last visit and have not come back for {period}",
        "all": "every customer on the list",
        "instant_profiles": "profiles created from a card at the till",
        "reachable": "an email and a visit in the last 12 months, or paid by card",
        "manual": "put in this group by hand",
        "why_visits": "visits on {days}",
        "why_spent": "spent {amount}",
        "why_last": "last visit on {day}",
        "why_card": "paid by card",
        "why_email": "has an email and visited on {day}",
        "why_source_instant": "created from a card at the till",
        "why_manual": "added by hand",
        "why_all": "on the list",
        "why_criteria": "meets the group's criteria",
        "leaves": "leaves on {day} unless they return",
        "leaves_other": "leaves on {day} unless something changes",
        "stays_lapsed": "stays until their next visit",
    },
    "fr": {
        "visits": "au moins {n} visites sur les {period} derniers",
        "spend": "au moins {amount} dépensés sur les {period} derniers",
        "before_on": "dernière visite avant le {day}",
        "before_ago": "dernière visite il y a {period} ou plus",
        "after_on": "dernière visite après le {day}",
        "after_ago": "dernière visite dans les {period} derniers",
        "labels": "avec les étiquettes {names}",
        "site": "à {name}",
        "sources": "créés par {names}",
        "preference": "inscrits à {name}",
        "and": " ; ",
        "lapsed": "étaient des habitués à leur dernière visite et ne sont pas revenus depuis {period}",
        "all": "tous les clients de la liste",
        "instant_profiles": "profils créés à partir d'une carte en caisse",
        "reachable": "un e-mail et une visite ces 12 derniers mois, ou un paiement par carte",
        "manual": "ajoutés à la main à ce groupe",
        "why_visits": "visites le {days}",
        "why_spent": "a dépensé {amount}",
        "why_last": "dernière visite le {day}",
        "why_card": "a payé par carte",
        "why_email": "a un e-mail et est venu le {day}",
        "why_source_instant": "créé à partir d'une carte en caisse",
        "why_manual": "ajouté à la main",
        "why_all": "sur la liste",
        "why_criteria": "remplit les critères du groupe",
        "leaves": "sort le {day} sauf nouvelle visite",
        "leaves_other": "sort le {day} sauf changement",
        "stays_lapsed": "reste jusqu'à sa prochaine visite",
    },
    "nl": {
        "visits": "minstens {n} bezoeken in de afgelopen {period}",
        "spend": "minstens {amount} besteed in de afgelopen {period}",
        "before_on": "laatste bezoek vóór {day}",
        "before_ago": "laatste bezoek {period} of langer geleden",
        "after_on": "laatste bezoek na {day}",
        "after_ago": "laatste bezoek in de afgelopen {period}",
        "labels": "met de labels {names}",
        "site": "bij {name}",
        "sources": "aangemaakt via {names}",
        "preference": "aangemeld voor {name}",
        "and": "; ",
        "lapsed": "waren vaste klant bij hun laatste bezoek en zijn al {period} niet teruggekomen",
        "all": "alle klanten op de lijst",
        "instant_profiles": "profielen aangemaakt met een kaart aan de kassa",
        "reachable": "een e-mailadres en een bezoek in de afgelopen 12 maanden, of betaald met een kaart",
        "manual": "met de hand aan deze groep toegevoegd",
        "why_visits": "bezoeken op {days}",
        "why_spent": "heeft {amount} besteed",
        "why_last": "laatste bezoek op {day}",
        "why_card": "heeft met een kaart betaald",
        "why_email": "heeft een e-mailadres en kwam op {day}",
        "why_source_instant": "aangemaakt met een kaart aan de kassa",
        "why_manual": "met de hand toegevoegd",
        "why_all": "op de lijst",
        "why_criteria": "voldoet aan de criteria van de groep",
        "leaves": "gaat eruit op {day} tenzij hij terugkomt",
        "leaves_other": "gaat eruit op {day} tenzij er iets verandert",
        "stays_lapsed": "blijft tot het volgende bezoek",
    },
}


def locale_of(value: str | None) -> str:
    return value if value in LOCALES else "en"


def day(value: date, locale: str) -> str:
    from babel.dates import format_date

    return str(format_date(value, "d MMM", locale=locale)).rstrip(".")


def money(value: Money, locale: str) -> str:
    from babel.numbers import format_currency, get_currency_precision

    digits = get_currency_precision(value.currency)
    return str(format_currency(value.amount / 10**digits, value.currency, locale=locale))


def period(value: Period, locale: str) -> str:
    one, many = _UNITS[locale][value.unit]
    if value.count == 1:
        return one
    return f"{value.count} {many}"


def _bound(kind: str, bound: LastVisit, locale: str) -> str:
    text = _TEXT[locale]
    if bound.on is not None:
        return text[f"{kind}_on"].format(day=day(bound.on, locale))
    assert bound.ago is not None
    return text[f"{kind}_ago"].format(period=period(bound.ago, locale))


def criteria(criteria: Criteria, locale: str, names: Mapping[str, str]) -> str:
    """Every criterion of a smart group, joined by "and" in plain words."""
    text = _TEXT[locale]
    parts: list[str] = []
    if criteria.visits is not None:
        parts.append(text["visits"].format(n=criteria.visits.min, period=period(criteria.visits.period, locale)))
    if criteria.spend is not None:
        parts.append(
            text["spend"].format(amount=money(criteria.spend.min, locale), period=period(criteria.spend.period, locale))
        )
    if criteria.site_id:
        parts.append(text["site"].format(name=names.get(criteria.site_id, criteria.site_id)))
    if criteria.last_visit_before is not None:
        parts.append(_bound("before", criteria.last_visit_before, locale))
    if criteria.last_visit_after is not None:
        parts.append(_bound("after", criteria.last_visit_after, locale))
    if criteria.labels:
        parts.append(text["labels"].format(names=", ".join(names.get(i, i) for i in criteria.labels)))
    if criteria.sources:
        parts.append(text["sources"].format(names=", ".join(criteria.sources)))
    if criteria.marketing_preference:
        name = names.get(criteria.marketing_preference, criteria.marketing_preference)
        parts.append(text["preference"].format(name=name))
    return text["and"].join(parts)


def describe(group: Group, locale: str, names: Mapping[str, str]) -> str:
    """What puts a customer in ``group``, in plain words."""
    text = _TEXT[locale]
    if group.system is SystemKey.LAPSED:
        return text["lapsed"].format(period=period(group.lapse_after or Period(count=6, unit=Unit.WEEKS), locale))
    if group.system in (SystemKey.ALL, SystemKey.INSTANT_PROFILES, SystemKey.REACHABLE):
        return text[group.system.value]
    if group.criteria is not None:
        return criteria(group.criteria, locale, names)
    return text["manual"]


def _facts(group: Group, reason: Reason, locale: str) -> list[str]:
    text = _TEXT[locale]
    if group.system is SystemKey.ALL:
        return [text["why_all"]]
    if group.system is SystemKey.INSTANT_PROFILES:
        return [text["why_source_instant"]]
    if group.system is SystemKey.REACHABLE:
        if reason.last_visit is not None:
            return [text["why_email"].format(day=day(reason.last_visit, locale))]
        return [text["why_card"]]
    if group.kind.value == "manual":
        return [text["why_manual"]]
    parts: list[str] = []
    if reason.visits:
        parts.append(text["why_visits"].format(days=", ".join(day(v, locale) for v in reason.visits)))
    if reason.spent is not None:
        parts.append(text["why_spent"].format(amount=money(reason.spent, locale)))
    if reason.last_visit is not None and (not reason.visits or group.system is SystemKey.LAPSED):
        parts.append(text["why_last"].format(day=day(reason.last_visit, locale)))
    return parts or [text["why_criteria"]]


def why(group: Group, reason: Reason, locale: str) -> str:
    """The facts that put the customer in the group, and until when, in plain words."""
    text = _TEXT[locale]
    parts = _facts(group, reason, locale)
    if reason.leaves_on is not None:
        key = "leaves" if group.criteria is not None and group.criteria.visits is not None else "leaves_other"
        parts.append(text[key].format(day=day(reason.leaves_on, locale)))
    elif group.system is SystemKey.LAPSED:
        parts.append(text["stays_lapsed"])
    return f"{group.name}: " + "; ".join(parts)
