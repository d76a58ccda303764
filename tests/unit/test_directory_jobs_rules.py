"""The directory jobs' pure rules: what a merge keeps, the counters' replay, duplicates, safe cells."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from clientele.customers.model import Consent, Customer, PreferenceChoice
from clientele.directory_jobs import rules
from clientele.kernel.money import Money
from clientele.sales.model import Sale, SaleType
from clientele.sales.rules import ALL_SITES


def customer(cid: str, **fields: Any) -> Customer:
    base: dict[str, Any] = {
        "merchant_id": "m",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    return Customer(id=cid, **{**base, **fields})


def sale(sid: str, day: int, amount: int = 1000, kind: str = "purchase", site: str = "site_a") -> Sale:
    return Sale(
        id=sid, merchant_id="m", site_id=site, type=SaleType(kind), total=Money(amount=amount, currency="EUR"),
        customer_id="c", occurred_at=f"2026-03-{day:02d}T10:00:00Z", local_date=date(2026, 3, day), created_by="k",
    )  # fmt: skip


class TestMergeProfiles:
    def test_the_survivor_keeps_its_values_and_takes_what_it_lacks(self) -> None:
        survivor = customer("a", given_name="Ana", email="ana@example.com")
        source = customer("b", given_name="Anna", phone="+31612345678", email="anna@example.com")
        changes, conflicts = rules.merge_profiles(survivor, source)
        assert changes == {"phone": "+31612345678"}
        assert [(c.field, c.kept, c.dropped) for c in conflicts] == [
            ("given_name", "Ana", "Anna"),
            ("email", "ana@example.com", "anna@example.com"),
        ]

    def test_lists_are_united(self) -> None:
        survivor = customer("a", labels=["l1"], site_ids=["s1"])
        source = customer("b", labels=["l2", "l1"], site_ids=["s2"], last_visit_at="2026-03-01T00:00:00Z")
        changes, conflicts = rules.merge_profiles(survivor, source)
        assert changes["labels"] == ["l1", "l2"] and changes["site_ids"] == ["s1", "s2"]
        assert changes["last_visit_at"] == "2026-03-01T00:00:00Z" and conflicts == []

    def test_the_more_recent_explicit_marketing_choice_wins_either_way(self) -> None:
        older = PreferenceChoice(opted_in=True, changed_at="2026-01-01T00:00:00Z", source="qr_signup")
        newer = PreferenceChoice(opted_in=False, changed_at="2026-02-01T00:00:00Z", source="merchant")
        for mine, theirs, expected in ((older, newer, False), (newer, older, False)):
            changes, conflicts = rules.merge_profiles(
                customer("a", marketing={"p": mine}), customer("b", marketing={"p": theirs})
            )
            assert changes.get("marketing", {"p": mine})["p"].opted_in is expected
            assert [c.field for c in conflicts] == ["marketing.p"]
            assert conflicts[0].kept.startswith("opted out")

    def test_a_second_consent_record_is_reported_dropped(self) -> None:
        one = Consent(text="t", version="v1", given_at="2026-01-01T00:00:00Z", source="qr_signup")
        two = Consent(text="t", version="v2", given_at="2026-02-01T00:00:00Z", source="kiosk")
        changes, conflicts = rules.merge_profiles(customer("a", consent=one), customer("b", consent=two))
        assert "consent" not in changes and conflicts[0].field == "consent" and "v2" in conflicts[0].dropped
        changes, _ = rules.merge_profiles(customer("a"), customer("b", consent=two))
        assert changes["consent"] == two

    def test_the_note_lists_every_dropped_value(self) -> None:
        _, conflicts = rules.merge_profiles(customer("a", given_name="Ana"), customer("b", given_name="=cmd()"))
        assert "=cmd()" in rules.dropped_note("b", conflicts)


class TestCounters:
    def test_replay_counts_like_the_sales_did(self) -> None:
        replayed = rules.replay([sale("s2", 2, 500, "refund"), sale("s1", 1, 2000), sale("s3", 3, 700)])
        overall = replayed.stats[ALL_SITES]
        assert (overall.sale_count, overall.purchase_count, overall.refund_count) == (3, 2, 1)
        assert overall.spent == {"EUR": 2000 - 500 + 700}
        assert overall.first_visit_at.startswith("2026-03-01") and overall.last_visit_at.startswith("2026-03-03")
        assert replayed.merchant[(ALL_SITES, None)]["customers"] == 1
        assert replayed.merchant[(ALL_SITES, None)]["returning"] == 1
        assert replayed.merchant[(ALL_SITES, "2026-03-03")]["returning"] == 1

    def test_corrections_make_two_customers_one(self) -> None:
        corrections = rules.counter_corrections([sale("s1", 1)], [sale("s2", 2)])
        by_key = {(c.scope, c.day): (c.customers, c.returning_customers, c.sales) for c in corrections}
        # One customer fewer whose first visit was 2 March; one returning customer more, on 2 March.
        assert by_key[(ALL_SITES, None)] == (-1, 1, 0)
        assert by_key[(ALL_SITES, "2026-03-02")] == (-1, 1, 0)
        assert by_key[("site_a", None)] == (-1, 1, 0)

    def test_nothing_to_correct_when_one_side_never_bought(self) -> None:
        assert rules.counter_corrections([sale("s1", 1)], []) == []


class TestDuplicates:
    people = [
        rules.Person("c1", "ana silva", "ana@example.com", "+31612345678"),
        rules.Person("c2", "anna silva", "", "+31687654321"),
        rules.Person("c3", "bo jansen", "ana@example.com", ""),
        rules.Person("c4", "piet de vries", "", "+32412345678"),  # the same last 7 digits as c1
        rules.Person("c5", "karel appel", "", ""),
    ]

    def test_pairs_have_their_reasons(self) -> None:
        found = rules.likely_duplicates(self.people)
        assert found.pairs[("c1", "c3")][0] == {"same_email"}
        assert found.pairs[("c1", "c2")][0] == {"similar_name"}
        assert ("c1", "c4") not in found.pairs  # a shared phone suffix is a block, not a reason

    def test_only_customers_sharing_a_block_are_compared(self) -> None:
        found = rules.likely_duplicates(self.people)
        all_pairs = len(self.people) * (len(self.people) - 1) // 2
        assert found.comparisons < all_pairs
        assert not any("c5" in pair for pair in found.pairs)

    def test_a_huge_block_is_cut(self) -> None:
        crowd = [rules.Person(f"c{i:04d}", f"jan person{i}", "", "") for i in range(2000)]
        found = rules.likely_duplicates(crowd)
        assert found.comparisons <= rules.BLOCK_LIMIT * (rules.BLOCK_LIMIT - 1) // 2 * 2

    def test_a_new_customer_is_matched_against_the_list(self) -> None:
        new = rules.Person("new", "ana silva", "", "+31612345678")
        assert dict(rules.matches_for(new, self.people)) == {
            "c1": ["same_phone", "similar_name"],
            "c2": ["similar_name"],
        }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Zoë", "Zoë"),
        (None, ""),
        (12, "12"),
    ],
)
def test_cells_that_would_run_as_formulas_are_escaped(value: Any, expected: str) -> None:
    assert rules.safe_cell(value) == expected


class TestExportCells:
    def test_amounts_take_the_currencys_own_decimals(self) -> None:
        assert [rules.amount(4500, "EUR"), rules.amount(5, "eur"), rules.amount(4500, "JPY")] == [
            "45.00",
            "0.05",
            "4500",
        ]
        assert rules.amount(1234, "KWD") == "1.234"

    def test_the_membership_shown_is_held_then_upcoming_then_the_latest(self) -> None:
        from datetime import date

        from clientele.directory_jobs.exports import shown
        from clientele.kernel.money import Money
        from clientele.memberships.service import MemberLine

        def line(mid: str, status: str, start: date) -> MemberLine:
            return MemberLine(
                membership_id=mid, number=mid, type_name="T", status=status, holding=status == "active",
                rate=Money(amount=1, currency="EUR"), payment_method="manual", start_date=start, end_date=None,
                next_billing=None, up_to_date=True,
            )  # fmt: skip

        old, new = line("a", "expired", date(2025, 1, 1)), line("b", "cancelled", date(2026, 1, 1))
        soon, now = line("c", "upcoming", date(2027, 1, 1)), line("d", "active", date(2024, 1, 1))
        assert shown([]) is None
        assert shown([old, new]) is new
        assert shown([old, soon, new]) is soon
        assert shown([old, soon, now, new]) is now


class TestImportLimits:
    def test_the_last_row_allowed_is_read_and_one_more_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from clientele.directory_jobs import import_rules

        assert import_rules.MAX_ROWS == 50_000  # the boundary itself is tested on a small file
        monkeypatch.setattr(import_rules, "MAX_ROWS", 10)
        lines = ["Email", *(f"a{n}@example.com" for n in range(10))]
        _, numbered = import_rules.rows("\n".join(lines))
        assert sum(1 for _ in numbered) == 10

        _, numbered = import_rules.rows("\n".join([*lines, "one@more.com"]))
        with pytest.raises(import_rules.FileRefused) as refused:
            list(numbered)
        assert refused.value.code == "TOO_MANY_ROWS"
