"""Merchants and what belongs to their account: settings, terms, sites, labels,
marketing-preference definitions, API keys."""

from __future__ import annotations

from typing import Any

from clientele.account import keys
from clientele.account.model import (
    ApiKey,
    CustomAttributeDefinition,
    Label,
    MarketingPreferenceDefinition,
    Merchant,
    Site,
)
from clientele.kernel.errors import AlreadyExists, NotFound, VersionMismatch
from clientele.kernel.permissions import Principal
from clientele.storage import partitions
from clientele.storage.table import ConditionFailed, Item, Table, TransactionCancelled, fields_of

_ENTITY = "entity"


def _snapshot(merchant: Merchant) -> dict[str, Any]:
    return {"terms_accepted": merchant.terms is not None, "country": merchant.country, "locale": merchant.locale}


class MerchantRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    # Merchant ---------------------------------------------------------------------------------
    def create(self, merchant: Merchant, sites: list[Site], owner_key: ApiKey, owner_key_hash: str) -> None:
        pk = partitions.merchant_pk(merchant.id)
        operations = [
            self.table.put_op(
                {"PK": pk, "SK": keys.MERCHANT_SK, _ENTITY: "merchant", **merchant.model_dump(mode="json")},
                condition="attribute_not_exists(PK)",
            ),
            self.table.put_op({"PK": pk, "SK": partitions.STATS_SK, _ENTITY: "stats", "total_customers": 0}),
        ]
        operations += [self.table.put_op(self._site_item(merchant.id, site)) for site in sites]
        operations += self._key_ops(merchant, owner_key, owner_key_hash)
        self.table.transact(operations)

    def get(self, merchant_id: str) -> Merchant:
        item = self.table.get(partitions.merchant_pk(merchant_id), keys.MERCHANT_SK)
        if not item:
            raise NotFound("No such merchant.")
        return Merchant.model_validate(fields_of(item))

    def save(self, merchant: Merchant, expected_version: int) -> None:
        """Store the merchant and refresh the account snapshot on every active key, atomically.

        Each look-up item is updated only if it still exists: a key revoked between the read of the keys
        and the transaction fails its condition (the transaction is then made again without it) instead of
        being re-created by the update."""
        for _attempt in range(5):
            tx = self.table.transaction()
            tx.put(
                "merchant",
                {
                    "PK": partitions.merchant_pk(merchant.id),
                    "SK": keys.MERCHANT_SK,
                    _ENTITY: "merchant",
                    **merchant.model_dump(mode="json"),
                },
                condition="version = :v",
                vals={":v": expected_version},
            )
            snapshot = _snapshot(merchant)
            for item in self._all(merchant.id, "APIKEY#"):
                if item.get("revoked_at"):
                    continue
                tx.update(
                    "key_lookup",
                    keys.api_key_lookup_pk(item["secret_hash"]),
                    keys.API_KEY_LOOKUP_SK,
                    "SET terms_accepted = :t, country = :c, locale = :l",
                    condition="attribute_exists(PK)",
                    vals={":t": snapshot["terms_accepted"], ":c": snapshot["country"], ":l": snapshot["locale"]},
                )
            try:
                tx.commit()
                return
            except TransactionCancelled as exc:
                if exc.cancelled.failed("merchant"):
                    raise VersionMismatch(
                        "The settings were changed meanwhile; read them again.", field="version"
                    ) from exc
                if not (exc.cancelled.failed("key_lookup") or exc.cancelled.conflict):
                    raise
        raise VersionMismatch("The settings were changed meanwhile; read them again.", field="version")

    def rotate_signup(self, merchant: Merchant, previous_until: str, updated_at: str) -> Merchant:
        """Start the next generation of signup links, with the version condition of any settings change."""
        rotated = merchant.model_copy(
            update={
                "signup_generation": merchant.signup_generation + 1,
                "signup_previous_until": previous_until,
                "version": merchant.version + 1,
                "updated_at": updated_at,
            }
        )
        try:
            self.table.update(
                partitions.merchant_pk(merchant.id),
                keys.MERCHANT_SK,
                "SET signup_generation = :g, signup_previous_until = :u, version = :nv, updated_at = :t",
                condition="version = :v",
                vals={
                    ":g": rotated.signup_generation,
                    ":u": previous_until,
                    ":nv": rotated.version,
                    ":t": updated_at,
                    ":v": merchant.version,
                },
            )
        except ConditionFailed as exc:
            raise VersionMismatch("The settings were changed meanwhile; try again.", field="version") from exc
        return rotated

    # Sites ------------------------------------------------------------------------------------
    @staticmethod
    def _site_item(merchant_id: str, site: Site) -> Item:
        return {
            "PK": partitions.merchant_pk(merchant_id),
            "SK": keys.site_sk(site.id),
            _ENTITY: "site",
            **site.model_dump(mode="json"),
        }

    def put_site(self, merchant_id: str, site: Site, *, must_exist: bool = False) -> None:
        condition = "attribute_exists(PK)" if must_exist else "attribute_not_exists(PK)"
        try:
            self.table.put(self._site_item(merchant_id, site), condition=condition)
        except ConditionFailed as exc:
            raise NotFound("No such site.") from exc

    def get_site(self, merchant_id: str, site_id: str) -> Site:
        item = self.table.get(partitions.merchant_pk(merchant_id), keys.site_sk(site_id))
        if not item:
            raise NotFound("No such site.", field="id")
        return Site.model_validate(fields_of(item))

    def list_sites(self, merchant_id: str) -> list[Site]:
        return [Site.model_validate(fields_of(i)) for i in self._all(merchant_id, "SITE#")]

    # Labels and preference definitions ---------------------------------------------------------
    def put_label(self, merchant_id: str, label: Label) -> None:
        self.table.put(
            {
                "PK": partitions.merchant_pk(merchant_id),
                "SK": keys.label_sk(label.id),
                _ENTITY: "label",
                **label.model_dump(mode="json"),
            }
        )

    def rename_label(self, merchant_id: str, label_id: str, name: str) -> Label:
        try:
            item = self.table.update(
                partitions.merchant_pk(merchant_id),
                keys.label_sk(label_id),
                "SET #n = :n",
                condition="attribute_exists(PK)",
                names={"#n": "name"},
                vals={":n": name},
            )
        except ConditionFailed as exc:
            raise NotFound("No such label.", field="id") from exc
        return Label.model_validate(fields_of(item))

    def delete_label(self, merchant_id: str, label_id: str) -> None:
        tx = self.table.transaction()
        tx.delete(
            "label", partitions.merchant_pk(merchant_id), keys.label_sk(label_id), condition="attribute_exists(PK)"
        )
        try:
            tx.commit()
        except TransactionCancelled as exc:
            raise NotFound("No such label.", field="id") from exc

    def list_labels(self, merchant_id: str) -> list[Label]:
        return [Label.model_validate(fields_of(i)) for i in self._all(merchant_id, "LABEL#")]

    def put_preference(self, merchant_id: str, preference: MarketingPreferenceDefinition) -> None:
        self.table.put(
            {
                "PK": partitions.merchant_pk(merchant_id),
                "SK": keys.preference_sk(preference.id),
                _ENTITY: "preference",
                **preference.model_dump(mode="json"),
            }
        )

    def get_preference(self, merchant_id: str, preference_id: str) -> MarketingPreferenceDefinition:
        item = self.table.get(partitions.merchant_pk(merchant_id), keys.preference_sk(preference_id), consistent=True)
        if not item:
            raise NotFound("No such marketing preference.", field="id")
        return MarketingPreferenceDefinition.model_validate(fields_of(item))

    def save_preference(self, merchant_id: str, preference: MarketingPreferenceDefinition) -> None:
        try:
            self.table.put(
                {
                    "PK": partitions.merchant_pk(merchant_id),
                    "SK": keys.preference_sk(preference.id),
                    _ENTITY: "preference",
                    **preference.model_dump(mode="json", exclude_none=True),
                },
                condition="attribute_exists(PK)",
            )
        except ConditionFailed as exc:
            raise NotFound("No such marketing preference.", field="id") from exc

    def list_preferences(self, merchant_id: str) -> list[MarketingPreferenceDefinition]:
        return [MarketingPreferenceDefinition.model_validate(fields_of(i)) for i in self._all(merchant_id, "PREF#")]

    # Custom attribute definitions -------------------------------------------------------------
    def _attribute_item(self, merchant_id: str, definition: CustomAttributeDefinition) -> Item:
        return {
            "PK": partitions.merchant_pk(merchant_id),
            "SK": keys.attribute_sk(definition.key),
            _ENTITY: "attribute_definition",
            **definition.model_dump(mode="json", exclude_none=True),
        }

    def add_attribute(self, merchant_id: str, definition: CustomAttributeDefinition) -> None:
        try:
            self.table.put(self._attribute_item(merchant_id, definition), condition="attribute_not_exists(PK)")
        except ConditionFailed as exc:
            raise AlreadyExists(
                f"A custom attribute with the key {definition.key} exists (or is being removed).",
                field="key",
                code="ATTRIBUTE_EXISTS",
            ) from exc

    def save_attribute(self, merchant_id: str, definition: CustomAttributeDefinition) -> None:
        """Replace a definition that still exists and is not being removed."""
        try:
            self.table.put(
                self._attribute_item(merchant_id, definition),
                condition="attribute_exists(PK) AND attribute_not_exists(deleting_since)",
            )
        except ConditionFailed as exc:
            raise NotFound("No such custom attribute.", field="key") from exc

    def get_attribute(self, merchant_id: str, key: str) -> CustomAttributeDefinition:
        item = self.table.get(partitions.merchant_pk(merchant_id), keys.attribute_sk(key), consistent=True)
        if not item:
            raise NotFound("No such custom attribute.", field="key")
        return CustomAttributeDefinition.model_validate(fields_of(item))

    def mark_attribute_deleting(self, merchant_id: str, key: str, since: str) -> CustomAttributeDefinition:
        try:
            item = self.table.update(
                partitions.merchant_pk(merchant_id),
                keys.attribute_sk(key),
                "SET deleting_since = if_not_exists(deleting_since, :at)",
                condition="attribute_exists(PK)",
                vals={":at": since},
            )
        except ConditionFailed as exc:
            raise NotFound("No such custom attribute.", field="key") from exc
        return CustomAttributeDefinition.model_validate(fields_of(item))

    def delete_attribute(self, merchant_id: str, key: str) -> None:
        tx = self.table.transaction()
        tx.delete("attribute", partitions.merchant_pk(merchant_id), keys.attribute_sk(key))
        tx.commit()

    def list_attributes(self, merchant_id: str) -> list[CustomAttributeDefinition]:
        """Every definition, those being removed included (``deleting_since``)."""
        return [CustomAttributeDefinition.model_validate(fields_of(i)) for i in self._all(merchant_id, "ATTRIBUTE#")]

    # API keys ---------------------------------------------------------------------------------
    def _key_ops(self, merchant: Merchant, key: ApiKey, secret_hash: str) -> list[dict[str, Any]]:
        merchant_id = merchant.id
        record = key.model_dump(mode="json")
        snapshot = _snapshot(merchant)
        return [
            self.table.put_op(
                {
                    "PK": partitions.merchant_pk(merchant_id),
                    "SK": keys.api_key_sk(key.id),
                    _ENTITY: "api_key",
                    "secret_hash": secret_hash,
                    **record,
                },
                condition="attribute_not_exists(PK)",
            ),
            self.table.put_op(
                {
                    "PK": keys.api_key_lookup_pk(secret_hash),
                    "SK": keys.API_KEY_LOOKUP_SK,
                    _ENTITY: "api_key_lookup",
                    "merchant_id": merchant_id,
                    "key_id": key.id,
                    "role": key.role.value,
                    "site_ids": key.site_ids,
                    **snapshot,
                },
                condition="attribute_not_exists(PK)",
            ),
        ]

    def add_key(self, merchant: Merchant, key: ApiKey, secret_hash: str) -> None:
        self.table.transact(self._key_ops(merchant, key, secret_hash))

    def list_keys(self, merchant_id: str) -> list[ApiKey]:
        return [
            ApiKey.model_validate({k: v for k, v in fields_of(i).items() if k != "secret_hash"})
            for i in self._all(merchant_id, "APIKEY#")
        ]

    def revoke_key(self, merchant_id: str, key_id: str, revoked_at: str) -> None:
        item = self.table.get(partitions.merchant_pk(merchant_id), keys.api_key_sk(key_id))
        if not item:
            raise NotFound("No such API key.", field="id")
        try:
            self.table.transact(
                [
                    self.table.update_op(
                        partitions.merchant_pk(merchant_id),
                        keys.api_key_sk(key_id),
                        "SET revoked_at = if_not_exists(revoked_at, :at)",
                        vals={":at": revoked_at},
                    ),
                    self.table.delete_op(keys.api_key_lookup_pk(item["secret_hash"]), keys.API_KEY_LOOKUP_SK),
                ]
            )
        except TransactionCancelled as exc:  # pragma: no cover - concurrent revocation
            raise NotFound("No such API key.", field="id") from exc

    def principal_for(self, secret_hash: str) -> Principal | None:
        """The authorizer's one read: the key's merchant, role and sites, or ``None``."""
        item = self.table.get(keys.api_key_lookup_pk(secret_hash), keys.API_KEY_LOOKUP_SK)
        if not item:
            return None
        return Principal(
            merchant_id=item["merchant_id"],
            key_id=item["key_id"],
            role=item["role"],
            site_ids=item.get("site_ids"),
            terms_accepted=bool(item.get("terms_accepted")),
            country=item.get("country", "NL"),
            locale=item.get("locale", "en"),
        )

    def _all(self, merchant_id: str, prefix: str) -> list[Item]:
        """Small per-merchant collections (sites, labels, keys): read them whole, page by page."""
        found: list[Item] = []
        cursor = None
        while True:
            items, cursor = self.table.query(
                partition=("PK", partitions.merchant_pk(merchant_id)),
                begins_with=("SK", prefix),
                limit=100,
                cursor=cursor,
            )
            found.extend(items)
            if not cursor:
                return found
