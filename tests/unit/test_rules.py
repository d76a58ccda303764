"""Rules that need no AWS: roles, contact normalisation, link tokens, ids, error mapping."""

from __future__ import annotations

import json

import pytest

from clientele.http import errors
from clientele.kernel import contact, crypto, ids
from clientele.kernel.errors import ValidationFailed
from clientele.kernel.links import InvalidLink, LinkSigner
from clientele.kernel.permissions import Permission, Principal, Role, permissions_of
from clientele.storage.table import decode_cursor, encode_cursor, serialize


class TestRoles:
    def test_owner_has_every_permission(self) -> None:
        assert permissions_of(Role.OWNER) == frozenset(Permission)

    def test_staff_cannot_delete_merge_export_or_manage_settings(self) -> None:
        staff = permissions_of(Role.STAFF)
        for permission in (
            Permission.CUSTOMERS_DELETE,
            Permission.CUSTOMERS_MERGE,
            Permission.CUSTOMERS_EXPORT,
            Permission.SETTINGS_MANAGE,
            Permission.MEMBERSHIPS_MANAGE,
        ):
            assert permission not in staff
        assert Permission.CUSTOMERS_WRITE in staff

    def test_manager_cannot_manage_settings(self) -> None:
        manager = Principal(merchant_id="m", key_id="k", role=Role.MANAGER)
        assert manager.can(Permission.CUSTOMERS_DELETE)
        assert not manager.can(Permission.SETTINGS_MANAGE)


class TestContact:
    @pytest.mark.parametrize(
        ("raw", "region", "e164"),
        [
            ("06 12 34 56 78", "NL", "+31612345678"),
            ("+31 (0)6-1234 5678", "FR", "+31612345678"),
            ("06 12 34 56 78", "FR", "+33612345678"),
            ("0032 470 12 34 56", "NL", "+32470123456"),
        ],
    )
    def test_phones_are_stored_as_e164_with_the_merchant_country_as_default(
        self, raw: str, region: str, e164: str
    ) -> None:
        assert contact.normalise_phone(raw, region) == e164

    @pytest.mark.parametrize("raw", ["12", "not a phone", "+31 6", "0612345678901234"])
    def test_invalid_phones_are_refused(self, raw: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            contact.normalise_phone(raw, "NL")
        assert caught.value.details[0].code == "INVALID_PHONE"

    def test_emails_keep_their_local_part_and_lower_the_domain(self) -> None:
        assert contact.normalise_email("  Ana.Martins@Example.COM ") == "Ana.Martins@example.com"

    @pytest.mark.parametrize("raw", ["plain", "a@", "@b.com", "a b@c.com", "a@b..com"])
    def test_invalid_emails_are_refused_without_network(self, raw: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            contact.normalise_email(raw)
        assert caught.value.details[0].field == "email"

    def test_hashes_are_keyed_case_insensitive_for_email_and_purpose_bound(self) -> None:
        secret = b"s" * 32
        assert contact.email_hash(secret, "Ana@example.com") == contact.email_hash(secret, "ana@example.com")
        assert contact.email_hash(secret, "x@example.com") != contact.email_hash(b"t" * 32, "x@example.com")
        assert crypto.keyed_hash(secret, "email", "v") != crypto.keyed_hash(secret, "phone", "v")
        assert "ana" not in contact.email_hash(secret, "ana@example.com")


class TestLinks:
    def test_a_token_verifies_only_for_its_purpose(self) -> None:
        signer = LinkSigner(b"k" * 32)
        token = signer.sign("erase", {"m": "mer_1", "c": "cus_1"})
        assert signer.verify("erase", token, max_age_seconds=60) == {"m": "mer_1", "c": "cus_1"}
        with pytest.raises(InvalidLink):
            signer.verify("preferences", token, max_age_seconds=60)

    def test_forged_and_foreign_key_tokens_are_refused(self) -> None:
        token = LinkSigner(b"k" * 32).sign("signup", {"m": "mer_1"})
        with pytest.raises(InvalidLink):
            LinkSigner(b"other" * 8).verify("signup", token, max_age_seconds=60)
        with pytest.raises(InvalidLink):
            LinkSigner(b"k" * 32).verify("signup", token[:-2] + "xx", max_age_seconds=60)

    def test_expired_tokens_are_refused(self) -> None:
        signer = LinkSigner(b"k" * 32)
        token = signer.sign("signup", {"m": "mer_1"})
        with pytest.raises(InvalidLink) as caught:
            signer.verify("signup", token, max_age_seconds=-1)
        assert caught.value.reason == "expired"


class TestIdsAndKeys:
    def test_ids_are_prefixed_unique_and_url_safe(self) -> None:
        made = {ids.new_id("cus") for _ in range(1000)}
        assert len(made) == 1000
        assert all(i.startswith("cus_") and i.replace("_", "").isalnum() for i in made)

    def test_sortable_ids_sort_by_time(self) -> None:
        earlier = ids.new_sortable_id("note", at_ms=1_700_000_000_000)
        later = ids.new_sortable_id("note", at_ms=1_700_000_000_001)
        assert earlier < later

    def test_api_keys_are_high_entropy_and_stored_as_hashes(self) -> None:
        secret = crypto.new_api_key_secret()
        assert secret.startswith("ck_") and len(secret) >= 40
        assert crypto.api_key_hash(secret) != secret and len(crypto.api_key_hash(secret)) == 64


class TestCursor:
    def test_a_cursor_round_trips_for_its_own_query(self) -> None:
        last = serialize({"GSI1PK": "MERCHANT#m#CUSTOMERS", "GSI1SK": "t#c", "PK": "p", "SK": "s"})
        cursor = encode_cursor(last)
        assert cursor is not None
        assert decode_cursor(cursor, partition=("GSI1PK", "MERCHANT#m#CUSTOMERS")) == last

    @pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", "eyJhIjoxfQ"])
    def test_garbage_cursors_are_bad_requests(self, cursor: str) -> None:
        from clientele.kernel.errors import BadRequest

        with pytest.raises(BadRequest):
            decode_cursor(cursor, partition=("PK", "x"))

    def test_another_merchants_cursor_is_refused(self) -> None:
        from clientele.kernel.errors import BadRequest

        cursor = encode_cursor(serialize({"GSI1PK": "MERCHANT#other#CUSTOMERS", "GSI1SK": "t"}))
        with pytest.raises(BadRequest):
            decode_cursor(cursor, partition=("GSI1PK", "MERCHANT#mine#CUSTOMERS"))


class TestErrorMapping:
    def test_malformed_json_is_400(self) -> None:
        status, body = errors.from_validation([{"type": "json_invalid", "loc": ("body", 3), "msg": "x"}])
        assert status == 400
        assert json.loads(body)["errors"][0]["code"] == "MALFORMED_JSON"

    def test_field_errors_are_422_with_their_field(self) -> None:
        status, body = errors.from_validation(
            [
                {"type": "missing", "loc": ("body", "version"), "msg": "Field required"},
                {"type": "extra_forbidden", "loc": ("body", "nickname"), "msg": "Extra inputs are not permitted"},
            ]
        )
        parsed = json.loads(body)["errors"]
        assert status == 422
        assert [(e["code"], e["field"]) for e in parsed] == [("REQUIRED", "version"), ("UNKNOWN_FIELD", "nickname")]
        assert all(e["detail"] for e in parsed)
