"""The groups' rules on fixed dates: who is in which group on a day, the next change, and why (no AWS)."""

from __future__ import annotations

import itertools
from datetime import date

from clientele.groups import rules, wording
from clientele.groups.model import (
    Criteria,
    Facts,
    Group,
    Kind,
    LastVisit,
    Period,
    Profile,
    SpendCriterion,
    SystemKey,
    Unit,
    Visit,
    VisitsCriterion,
)
from clientele.kernel.money import Money

NOW = "2026-01-01T00:00:00.000Z"
REGULARS = rules.SYSTEM_IDS[SystemKey.REGULARS]
LAPSED = rules.SYSTEM_IDS[SystemKey.LAPSED]


def cafe_groups() -> list[Group]:
    """A café's groups: Regulars set to 3 visits in 2 months, Lapsed after 6 weeks (the default)."""
    groups = rules.default_groups(NOW)
    regulars = next(g for g in groups if g.system is SystemKey.REGULARS)
    regulars.criteria = Criteria(visits=VisitsCriterion(min=3, period=Period(count=2, unit=Unit.MONTHS)))
    return groups


def visit(day: str, sale: str | None = None, amount: int = 450, site: str = "site_a", kind: str = "purchase") -> Visit:
    return Visit(
        sale_id=sale or f"sale_{day}_{site}_{amount}",
        day=date.fromisoformat(day),
        site_id=site,
        type=kind,
        amount=-amount if kind == "refund" else amount,
        currency="EUR",
    )


def facts_of(*visits: Visit, groups: list[Group] | None = None, **profile: object) -> Facts:
    facts = Facts(customer_id="cus_1", profile=Profile.model_validate(profile))
    keep = rules.longest_days(groups or cafe_groups())
    for v in visits:
        rules.add_visit(facts, v, card_paid=False, keep_days=keep)
    return facts


def member_of(groups: list[Group], facts: Facts, day: str) -> set[str]:
    return set(rules.evaluate(groups, facts, date.fromisoformat(day)))


class TestRegularsAndLapsed:
    def test_the_third_visit_makes_a_regular_who_leaves_when_the_third_latest_visit_ages_out(self) -> None:
        groups = cafe_groups()
        facts = facts_of(visit("2026-03-03"), visit("2026-03-09"))
        assert REGULARS not in member_of(groups, facts, "2026-03-09")
        facts = facts_of(visit("2026-03-03"), visit("2026-03-09"), visit("2026-04-01"))
        assert REGULARS in member_of(groups, facts, "2026-04-01")
        assert REGULARS in member_of(groups, facts, "2026-05-02")  # the 3 Mar visit still counts
        assert REGULARS not in member_of(groups, facts, "2026-05-03")  # ... and ages out this day
        today = date(2026, 4, 1)
        assert rules.leaving_days(groups, facts, today, [REGULARS]) == {REGULARS: date(2026, 5, 3)}
        assert rules.next_change(groups, facts, today) == date(2026, 5, 3)

    def test_lapsed_six_weeks_after_the_last_visit_of_a_regular_sticky_until_they_return(self) -> None:
        groups = cafe_groups()
        facts = facts_of(visit("2026-03-03"), visit("2026-03-09"), visit("2026-04-01"))
        assert rules.next_change(groups, facts, date(2026, 5, 3)) == date(2026, 5, 13)
        assert LAPSED not in member_of(groups, facts, "2026-05-12")
        assert LAPSED in member_of(groups, facts, "2026-05-13")
        assert LAPSED in member_of(groups, facts, "2027-12-31")  # sticky
        assert rules.next_change(groups, facts, date(2026, 5, 13)) is None  # nothing more unless they return
        rules.add_visit(facts, visit("2026-07-01"), card_paid=False, keep_days=rules.longest_days(groups))
        assert member_of(groups, facts, "2026-07-01") == set()  # one visit in two months: not a regular either
        assert LAPSED not in member_of(groups, facts, "2026-09-01")  # not a regular at the last visit: never lapses

    def test_a_customer_who_never_was_a_regular_never_lapses(self) -> None:
        groups = cafe_groups()
        facts = facts_of(visit("2026-03-03"), visit("2026-03-09"))
        assert member_of(groups, facts, "2026-06-01") == set()
        assert rules.next_change(groups, facts, date(2026, 3, 9)) is None

    def test_refunds_are_not_visits(self) -> None:
        groups = cafe_groups()
        facts = facts_of(visit("2026-03-03"), visit("2026-03-09"), visit("2026-03-10", kind="refund"))
        assert REGULARS not in member_of(groups, facts, "2026-03-10")

    def test_a_month_from_the_31st_ends_on_the_last_day_of_a_shorter_month(self) -> None:
        assert rules.plus(date(2026, 1, 31), Period(count=1, unit=Unit.MONTHS)) == date(2026, 2, 28)
        assert rules.plus(date(2026, 3, 29), Period(count=6, unit=Unit.WEEKS)) == date(2026, 5, 10)


class TestOrderAndReplay:
    def test_the_same_sale_twice_changes_nothing(self) -> None:
        facts = facts_of(visit("2026-03-03", sale="s1"))
        before = facts.model_copy(deep=True)
        assert not rules.add_visit(facts, visit("2026-03-03", sale="s1"), card_paid=False, keep_days=200)
        assert facts == before

    def test_any_order_of_the_same_sales_gives_the_same_facts_and_groups(self) -> None:
        groups = cafe_groups()
        sales = [visit("2026-03-03"), visit("2026-03-09"), visit("2026-04-01"), visit("2026-04-02", site="site_b")]
        seen = set()
        for order in itertools.permutations(sales):
            facts = facts_of(*order)
            seen.add((facts.model_dump_json(), frozenset(member_of(groups, facts, "2026-04-02"))))
        assert len(seen) == 1

    def test_visits_older_than_any_rule_can_count_are_dropped(self) -> None:
        groups = cafe_groups()
        facts = facts_of(visit("2025-01-01"), visit("2026-03-03"), visit("2026-04-01"))
        assert [v.day.isoformat() for v in facts.visits] == ["2026-03-03", "2026-04-01"]
        assert facts.last_visit == date(2026, 4, 1)
        assert len(facts.visits) <= 3 and rules.longest_days(groups) == 62


class TestCustomCriteria:
    def big_spenders(self) -> Group:
        return Group(
            id="grp_big",
            name="Big spenders at the Gare site",
            kind=Kind.SMART,
            criteria=Criteria(
                spend=SpendCriterion(min=Money(amount=20000, currency="EUR"), period=Period(count=90)),
                site_id="site_gare",
            ),
            created_at=NOW,
            updated_at=NOW,
        )

    def test_spend_in_a_period_at_one_site(self) -> None:
        groups = [*cafe_groups(), self.big_spenders()]
        facts = facts_of(
            visit("2026-01-10", amount=15000, site="site_gare"),
            visit("2026-02-10", amount=9000, site="site_a"),  # elsewhere: not counted
            groups=groups,
        )
        assert "grp_big" not in member_of(groups, facts, "2026-02-10")
        rules.add_visit(
            facts,
            visit("2026-03-01", amount=6000, site="site_gare"),
            card_paid=False,
            keep_days=rules.longest_days(groups),
        )
        reason = rules.evaluate(groups, facts, date(2026, 3, 1))["grp_big"]
        assert reason.spent == Money(amount=21000, currency="EUR")
        # 10 Jan + 90 days = 10 Apr: the first sale stops counting, the spend falls below 200.
        assert rules.leaving_days(groups, facts, date(2026, 3, 1), ["grp_big"])["grp_big"] == date(2026, 4, 10)
        rules.add_visit(
            facts,
            visit("2026-03-02", amount=2000, site="site_gare", kind="refund"),
            card_paid=False,
            keep_days=rules.longest_days(groups),
        )
        assert "grp_big" not in member_of(groups, facts, "2026-03-02")  # a refund lowers the spend

    def test_labels_source_preference_and_last_visit_bounds_all_must_hold(self) -> None:
        group = Group(
            id="grp_c",
            name="VIPs away a month",
            kind=Kind.SMART,
            criteria=Criteria(
                labels=["lbl_vip"],
                sources=["qr_signup"],
                marketing_preference="pref_news",
                last_visit_before=LastVisit(ago=Period(count=30)),
                last_visit_after=LastVisit(on=date(2026, 1, 1)),
            ),
            created_at=NOW,
            updated_at=NOW,
        )
        groups = [*cafe_groups(), group]
        profile = {"labels": ["lbl_vip"], "source": "qr_signup", "preferences": ["pref_news"]}
        facts = facts_of(visit("2026-03-01"), groups=groups, **profile)
        assert "grp_c" not in member_of(groups, facts, "2026-03-30")
        assert "grp_c" in member_of(groups, facts, "2026-03-31")  # 30 days since the last visit
        assert rules.next_change(groups, facts, date(2026, 3, 1)) == date(2026, 3, 31)
        other = facts_of(visit("2026-03-01"), groups=groups, **(profile | {"labels": []}))
        assert "grp_c" not in member_of(groups, other, "2026-04-30")
        old = facts_of(visit("2025-12-20"), groups=groups, **profile)
        assert "grp_c" not in member_of(groups, old, "2026-04-30")  # last visit not after 1 Jan

    def test_reachable_with_an_email_for_12_months_after_a_visit_or_for_good_with_a_card(self) -> None:
        groups = cafe_groups()
        reachable = rules.SYSTEM_IDS[SystemKey.REACHABLE]
        facts = facts_of(visit("2026-03-03"), has_email=True)
        assert reachable in member_of(groups, facts, "2027-03-02")
        assert reachable not in member_of(groups, facts, "2027-03-03")
        facts.card_paid = True
        assert reachable in member_of(groups, facts, "2030-01-01")


class TestWords:
    def test_why_and_until_when_in_english_french_and_dutch(self) -> None:
        groups = cafe_groups()
        regulars = next(g for g in groups if g.system is SystemKey.REGULARS)
        facts = facts_of(visit("2026-03-03"), visit("2026-03-09"), visit("2026-04-01"))
        reason = rules.evaluate(groups, facts, date(2026, 4, 1))[REGULARS]
        reason.leaves_on = date(2026, 5, 3)
        assert wording.why(regulars, reason, "en") == (
            "Regulars: visits on 3 Mar, 9 Mar, 1 Apr; leaves on 3 May unless they return"
        )
        assert wording.why(regulars, reason, "fr").startswith("Regulars: visites le 3 mars, 9 mars, 1 avr")
        assert "3 mei" in wording.why(regulars, reason, "nl")
        assert wording.describe(regulars, "en", {}) == "at least 3 visits in the last 2 months"
        assert wording.describe(regulars, "fr", {}) == "au moins 3 visites sur les 2 mois derniers"
        assert wording.describe(regulars, "nl", {}) == "minstens 3 bezoeken in de afgelopen 2 maanden"

    def test_custom_criteria_name_their_site_and_money_in_the_language(self) -> None:
        group = TestCustomCriteria().big_spenders()
        names = {"site_gare": "Gare"}
        assert wording.describe(group, "en", names) == "spent at least €200.00 in the last 90 days; at Gare"
        assert "200,00" in wording.describe(group, "fr", names)
