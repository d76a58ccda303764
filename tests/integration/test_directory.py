"""The directory (GET /v1/customers) through the gateway: the till's searches, the back office's filters
and sorts, cursors, 400s, read-your-writes, sales and erasure."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient, Stack


def _create(client: ApiClient, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/customers", fields)
    assert response.status == 201, response.text
    return response.json()


def _ids(client: ApiClient, **params: Any) -> list[str]:
    response = client.get("/v1/customers", params=params)
    assert response.status == 200, response.text
    return [c["id"] for c in response.json()["items"]]


def _all_pages(client: ApiClient, **params: Any) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = client.get("/v1/customers", params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status == 200, page.text
        seen += [c["id"] for c in page.json()["items"]]
        cursor = page.json().get("cursor")
        if not cursor:
            return seen


@pytest.fixture
def till(client: ApiClient) -> dict[str, dict[str, Any]]:
    return {
        "zoe": _create(client, given_name="Zoë", family_name="Lefèvre", email="zoe.l@example.com"),
        "lukasz": _create(client, given_name="Łukasz", family_name="Kowalski", phone="+48 601 234 567"),
        "vdberg": _create(client, given_name="Anna", family_name="van der Berg", phone="06 12 34 56 78"),
        "obrien": _create(client, given_name="Seán", family_name="O\u2019Brien", email="sean@obrien.ie"),
        "dupont": _create(client, given_name="Claire", family_name="Dupont", phone="+33 6 12 34 56 79"),
        "soren": _create(client, given_name="Søren", family_name="Strauß", email="soren@example.dk"),
        "other": _create(client, given_name="Peter", family_name="Janssen", email="peter@janssen.nl"),
    }


class TestTheTill:
    @pytest.mark.parametrize(
        ("q", "who"),
        [
            ("zoe", {"zoe"}),
            ("ZOË", {"zoe"}),
            ("lefevre", {"zoe"}),
            ("lukasz", {"lukasz"}),
            ("van der", {"vdberg"}),
            ("berg anna", {"vdberg"}),
            ("o'brien", {"obrien"}),
            ("obrien", {"obrien"}),
            ("sean", {"obrien"}),
            ("soren", {"soren"}),
            ("strauss", {"soren"}),
            ("06 12 34", {"vdberg"}),
            ("+33 6 12", {"dupont"}),
            ("5678", {"vdberg"}),
            ("4567", {"lukasz"}),
            ("zoe.l@ex", {"zoe"}),
            ("peter@", {"other"}),
            ("janssen", {"other"}),
            ("nobody", set()),
        ],
    )
    def test_what_is_typed_finds_the_right_customers_on_the_first_page(
        self, client: ApiClient, till: dict[str, dict[str, Any]], q: str, who: set[str]
    ) -> None:
        assert set(_ids(client, q=q, limit=10)) == {till[name]["id"] for name in who}

    def test_a_customer_is_found_immediately_after_being_created_and_changed(self, client: ApiClient) -> None:
        ana = _create(client, given_name="Ana", family_name="Martins")
        assert _ids(client, q="martins") == [ana["id"]]
        changed = client.patch(f"/v1/customers/{ana['id']}", {"version": 1, "family_name": "Janssen"})
        assert changed.status == 200
        assert _ids(client, q="martins") == []
        assert _ids(client, q="janssen") == [ana["id"]]

    def test_staff_search_by_phone_too(self, client: ApiClient, till: Any) -> None:
        staff_key = client.post("/v1/api-keys", {"role": "staff"}).json()["secret"]
        assert client.as_key(staff_key).get("/v1/customers", params={"q": "06 12 34"}).status == 200


class TestTheBackOffice:
    def test_filters_combine_with_and(self, client: ApiClient) -> None:
        vip = client.post("/v1/labels", {"name": "VIP"}).json()["id"]
        late = client.post("/v1/labels", {"name": "Late"}).json()["id"]
        news = client.post("/v1/marketing-preferences", {"name": "News", "channel": "email"}).json()["id"]
        both = _create(client, given_name="Both", labels=[vip, late], marketing={news: True})
        only_vip = _create(client, given_name="Vip", labels=[vip], marketing={news: False})
        legacy = _create(client, given_name="Old", labels=[vip], source="legacy")
        assert set(_ids(client, label=vip)) == {both["id"], only_vip["id"], legacy["id"]}
        assert _ids(client, label=f"{vip},{late}") == [both["id"]]
        assert _ids(client, label=vip, marketing_preference=news) == [both["id"]]
        assert _ids(client, label=vip, source="legacy") == [legacy["id"]]
        assert _ids(client, label=late, source="legacy") == []
        assert _ids(client, q="vip", label=vip) == [only_vip["id"]]

    @pytest.mark.parametrize("sort", ["name", "created", "updated"])
    @pytest.mark.parametrize("order", ["asc", "desc"])
    def test_sorts_page_after_page_in_either_order(self, client: ApiClient, sort: str, order: str) -> None:
        made = [_create(client, given_name=g, family_name=f) for g, f in [("B", "Zed"), ("A", "Émile"), ("C", "Abel")]]
        made.append(_create(client, email="nameless@example.com"))
        client.patch(f"/v1/customers/{made[0]['id']}", {"version": 1, "given_name": "Bo"})
        fresh = {c["id"]: client.get(f"/v1/customers/{c['id']}").json() for c in made}
        if sort == "name":
            named = [c for c in fresh.values() if c.get("family_name")]
            named.sort(key=lambda c: (c["family_name"].replace("É", "E").lower(), c["id"]), reverse=order == "desc")
            expected = [c["id"] for c in named] + [made[3]["id"]]
        else:
            field = f"{sort}_at"
            expected = [
                c["id"] for c in sorted(fresh.values(), key=lambda c: (c[field], c["id"]), reverse=order == "desc")
            ]
        assert _all_pages(client, sort=sort, order=order, limit=1) == expected

    def test_last_visit_moves_with_a_sale_and_site_filter_follows(self, client: ApiClient) -> None:
        ana = _create(client, given_name="Ana")
        bob = _create(client, given_name="Bob")
        never = _create(client, given_name="Never")
        site = client.get("/v1/sites").json()["items"][0]["id"]
        for who in (bob, ana):  # Ana's visit is the later one
            sale = client.post(
                "/v1/sales",
                {"type": "purchase", "total": {"amount": 450, "currency": "EUR"}, "customer_id": who["id"]},
                headers={"Idempotency-Key": f"visit-{who['id']}"},
            )
            assert sale.status == 201, sale.text
        assert _ids(client, sort="last_visit", order="desc") == [ana["id"], bob["id"], never["id"]]
        assert _ids(client, sort="last_visit", order="asc") == [bob["id"], ana["id"], never["id"]]
        assert set(_ids(client, site_id=site)) == {ana["id"], bob["id"]}
        # An update from a copy read before the visit keeps the visit.
        client.patch(f"/v1/customers/{bob['id']}", {"version": 1, "family_name": "Bakker"})
        assert _ids(client, sort="last_visit", order="desc")[:2] == [ana["id"], bob["id"]]


class TestBadInput:
    @pytest.mark.parametrize(
        ("params", "field", "code"),
        [
            ({"nickname": "x"}, "nickname", "UNKNOWN_PARAMETER"),
            ({"sort": "price"}, "sort", "INVALID_PARAMETER"),
            ({"order": "up"}, "order", "INVALID_PARAMETER"),
            ({"label": "a b"}, "label", "INVALID_PARAMETER"),
            ({"q": "x" * 101}, "q", "QUERY_TOO_LONG"),
            ({"has_membership": "yes"}, "has_membership", "INVALID_PARAMETER"),
            ({"source": "fax"}, "source", "INVALID_PARAMETER"),
            ({"limit": "0"}, "limit", "INVALID_PARAMETER"),
            ({"limit": "101"}, "limit", "INVALID_PARAMETER"),
            ({"limit": "ten"}, "limit", "INVALID_PARAMETER"),
            ({"group_id": "a;b"}, "group_id", "INVALID_PARAMETER"),
            ({"attribute.vip": "true"}, "attribute.vip", "UNKNOWN_ATTRIBUTE"),
        ],
    )
    def test_what_the_endpoint_cannot_use_is_a_400_naming_it(
        self, client: ApiClient, params: dict[str, Any], field: str, code: str
    ) -> None:
        response = client.get("/v1/customers", params=params)
        assert response.status == 400, response.text
        assert response.json()["errors"][0]["field"] == field and response.error_codes() == [code]

    @pytest.mark.parametrize(
        "name", ["q", "sort", "order", "limit", "source", "email", "cursor", "has_membership", "attribute.vip"]
    )
    def test_a_single_valued_parameter_given_twice_is_a_400_naming_it(self, client: ApiClient, name: str) -> None:
        response = client.get(f"/v1/customers?{name}=a&{name}=b")
        assert response.status == 400, response.text
        assert response.error_codes() == ["REPEATED_PARAMETER"] and response.json()["errors"][0]["field"] == name

    def test_a_repeated_id_filter_means_all_of_them(self, client: ApiClient) -> None:
        vip = client.post("/v1/labels", {"name": "VIP"}).json()["id"]
        late = client.post("/v1/labels", {"name": "Late"}).json()["id"]
        both = _create(client, given_name="Both", labels=[vip, late])
        _create(client, given_name="Vip", labels=[vip])
        repeated = client.get(f"/v1/customers?label={vip}&label={late}")
        assert repeated.status == 200 and [c["id"] for c in repeated.json()["items"]] == [both["id"]]
        assert _ids(client, label=f"{vip},{late}") == [both["id"]]

    def test_a_cursor_of_another_query_or_merchant_is_400_never_their_data(
        self, stack: Stack, api: ApiClient, client: ApiClient
    ) -> None:
        for n in range(3):
            _create(client, given_name=f"Ana{n}")
        cursor = client.get("/v1/customers", params={"limit": 1, "sort": "name"}).json()["cursor"]
        assert client.get("/v1/customers", params={"limit": 1, "sort": "name", "cursor": cursor}).status == 200
        for params in ({"sort": "created"}, {"sort": "name", "order": "desc"}, {"sort": "name", "q": "ana"}):
            response = client.get("/v1/customers", params={**params, "cursor": cursor})
            assert response.status == 400 and response.error_codes() == ["INVALID_CURSOR"]
        other = api.as_key(stack.create_merchant()["api_key"])
        response = other.get("/v1/customers", params={"limit": 1, "sort": "name", "cursor": cursor})
        assert response.status == 400 and response.error_codes() == ["INVALID_CURSOR"]
        tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
        assert client.get("/v1/customers", params={"sort": "name", "cursor": tampered}).status == 400

    def test_a_cursor_shows_no_name(self, client: ApiClient) -> None:
        for name in ("Zoltan", "Zacharias"):
            _create(client, given_name=name, family_name=name)
        cursor = client.get("/v1/customers", params={"limit": 1, "sort": "name"}).json()["cursor"]
        import base64

        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        assert b"zacharias" not in raw.lower() and b"zoltan" not in raw.lower()


def test_erasure_takes_the_customer_out_of_the_directory(
    stack: Stack, merchant: dict[str, Any], client: ApiClient
) -> None:
    from clientele.customers.directory import DirectoryStore, unpack
    from clientele.customers.wiring import directory_service
    from clientele.storage.table import data_table

    kept = _create(client, given_name="Kept")
    gone = _create(client, given_name="Ottoline", family_name="Gone", email="otto@example.com", phone="0611112222")
    # Pack every shard first, so erasure has to rewrite a packed item too.
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        store: DirectoryStore = directory_service().store
        shards = store.load(merchant["merchant_id"])
        from clientele.customers import directory

        before = directory.PACK_AFTER
        directory.PACK_AFTER = 1
        try:
            store.pack_due(merchant["merchant_id"], shards)
        finally:
            directory.PACK_AFTER = before
    assert client.delete(f"/v1/customers/{gone['id']}").status == 204
    assert _ids(client, q="ottoline") == [] and _ids(client) == [kept["id"]]
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        table = data_table()
        for shard in DirectoryStore(table).load(merchant["merchant_id"]):
            assert gone["id"] not in shard.entries
        items, _ = table.query(partition=("PK", f"MERCHANT#{merchant['merchant_id']}#DIRECTORY"), limit=100)
        assert any(i.get("z") for i in items)  # a packed shard was there, and no longer holds them
        for item in items:
            assert not any(gone["id"] in name for name in item)
            if item.get("z"):
                assert gone["id"] not in unpack(bytes(item["z"].value if hasattr(item["z"], "value") else item["z"]))


class TestLabelsOnOneCustomer:
    def test_put_and_delete_a_label_without_a_version_and_the_directory_follows(self, client: ApiClient) -> None:
        vip = client.post("/v1/labels", {"name": "VIP"}).json()["id"]
        ana = _create(client, given_name="Ana")
        put = client.put(f"/v1/customers/{ana['id']}/labels/{vip}")
        assert put.status == 200, put.text
        assert put.json()["labels"] == [vip] and put.json()["version"] == 2
        assert put.json()["updated_at"] >= ana["updated_at"]
        again = client.put(f"/v1/customers/{ana['id']}/labels/{vip}")
        assert again.status == 200 and again.json()["version"] == 2  # idempotent: nothing changed
        assert _ids(client, label=vip) == [ana["id"]]
        audit = client.get(f"/v1/customers/{ana['id']}/audit").json()["items"]
        assert audit[0]["action"] == "label_added" and audit[0]["fields"] == ["labels"]
        removed = client.delete(f"/v1/customers/{ana['id']}/labels/{vip}")
        assert removed.status == 200 and removed.json()["labels"] == [] and removed.json()["version"] == 3
        assert _ids(client, label=vip) == []

    def test_an_unknown_label_is_422_and_a_foreign_customer_404(
        self, stack: Stack, api: ApiClient, client: ApiClient
    ) -> None:
        ana = _create(client, given_name="Ana")
        unknown = client.put(f"/v1/customers/{ana['id']}/labels/label_unknown")
        assert unknown.status == 422 and unknown.error_codes() == ["UNKNOWN_LABEL"]
        other = api.as_key(stack.create_merchant()["api_key"])
        theirs = other.post("/v1/labels", {"name": "VIP"}).json()["id"]
        assert other.put(f"/v1/customers/{ana['id']}/labels/{theirs}").status == 404


class TestLabelDefinitions:
    def test_rename_delete_and_counts(self, client: ApiClient) -> None:
        vip = client.post("/v1/labels", {"name": "VIP"}).json()["id"]
        late = client.post("/v1/labels", {"name": "Late"}).json()["id"]
        ana = _create(client, given_name="Ana", labels=[vip, late])
        bob = _create(client, given_name="Bob", labels=[vip])
        counts = {x["id"]: x["customer_count"] for x in client.get("/v1/labels").json()["items"]}
        assert counts == {vip: 2, late: 1}
        renamed = client.patch(f"/v1/labels/{vip}", {"name": "Regulars"})
        assert renamed.status == 200 and renamed.json()["name"] == "Regulars"
        assert client.delete(f"/v1/labels/{vip}").status == 204
        assert client.get(f"/v1/customers/{ana['id']}").json()["labels"] == [late]
        assert client.get(f"/v1/customers/{bob['id']}").json()["labels"] == []
        assert _ids(client, label=vip) == []
        assert [x["id"] for x in client.get("/v1/labels").json()["items"]] == [late]
        assert client.delete(f"/v1/labels/{vip}").status == 404
        assert client.patch(f"/v1/labels/{vip}", {"name": "Gone"}).status == 404
        assert client.put(f"/v1/customers/{bob['id']}/labels/{vip}").status == 422


class TestHooksOfOtherContexts:
    """Groups and memberships are kept by their own contexts, which write the directory in their own
    transactions (``CustomerRepository.directory.set_groups`` / ``set_has_membership``)."""

    @staticmethod
    def _hook(stack: Stack, merchant_id: str, groups: dict[str, list[str]], members: dict[str, bool]) -> None:
        from clientele.customers.wiring import customers

        with stack.runtime.environment_of(stack.runtime.shared_environment()):
            tx = customers().table.transaction()
            customers().directory.set_many(tx, merchant_id, groups=groups, memberships=members)
            tx.commit()

    def test_group_and_membership_filters_follow_the_hooks_and_survive_profile_changes(
        self, stack: Stack, merchant: dict[str, Any], client: ApiClient
    ) -> None:
        ana = _create(client, given_name="Ana", email="ana@example.com")
        bob = _create(client, given_name="Bob")
        eve = _create(client, given_name="Eve")
        self._hook(stack, merchant["merchant_id"], {ana["id"]: ["grp_a", "grp_b"], bob["id"]: ["grp_a"]}, {})
        self._hook(stack, merchant["merchant_id"], {}, {ana["id"]: True, eve["id"]: False})
        assert set(_ids(client, group_id="grp_a")) == {ana["id"], bob["id"]}
        assert _ids(client, group_id="grp_a,grp_b") == [ana["id"]]
        assert _ids(client, has_membership="true") == [ana["id"]]
        assert set(_ids(client, has_membership="false")) == {bob["id"], eve["id"]}
        assert _ids(client, group_id="grp_a", has_membership="false") == [bob["id"]]
        assert _ids(client, email="ana@example.com", group_id="grp_b") == [ana["id"]]
        assert _ids(client, email="ana@example.com", has_membership="false") == []
        # A profile change (a whole new entry) keeps what the other contexts set.
        assert client.patch(f"/v1/customers/{ana['id']}", {"version": 1, "family_name": "Lopes"}).status == 200
        assert _ids(client, group_id="grp_b", has_membership="true") == [ana["id"]]
        self._hook(stack, merchant["merchant_id"], {ana["id"]: []}, {ana["id"]: False})
        assert _ids(client, group_id="grp_b") == [] and _ids(client, has_membership="true") == []

    def test_shards_packed_before_the_hooks_existed_are_read_and_extended(
        self, stack: Stack, merchant: dict[str, Any], client: ApiClient
    ) -> None:
        import json
        import zlib

        from clientele.customers import directory, keys
        from clientele.customers.wiring import customers

        ana = _create(client, given_name="Ana")
        bob = _create(client, given_name="Bob")
        with stack.runtime.environment_of(stack.runtime.shared_environment()):
            store = customers().directory
            shards = store.load(merchant["merchant_id"])
            entries = [e for s in shards for e in s.entries.values()]
            for shard in shards:  # pack as the first version did: no groups nor membership columns
                if not shard.entries:
                    continue
                columns = json.loads(zlib.decompress(directory.pack(list(shard.entries.values()))))
                del columns["r"], columns["h"]
                pk = keys.directory_pk(merchant["merchant_id"])
                store.table.put(
                    {
                        "PK": pk,
                        "SK": keys.directory_packed_sk(shard.number),
                        "entity": directory.PACKED_ENTITY,
                        "z": zlib.compress(json.dumps(columns).encode()),
                        "rev": 1,
                    }
                )
                store.table.put({"PK": pk, "SK": keys.directory_pending_sk(shard.number), "rev": 5})
            assert {e.id for e in entries} == {ana["id"], bob["id"]}
        assert set(_ids(client, has_membership="false")) == {ana["id"], bob["id"]}
        self._hook(stack, merchant["merchant_id"], {bob["id"]: ["grp_x"]}, {bob["id"]: True})
        assert _ids(client, group_id="grp_x") == [bob["id"]] and _ids(client, has_membership="true") == [bob["id"]]
        with stack.runtime.environment_of(stack.runtime.shared_environment()):
            before = directory.PACK_AFTER
            directory.PACK_AFTER = 1
            try:
                store.pack_due(merchant["merchant_id"], store.load(merchant["merchant_id"]))
            finally:
                directory.PACK_AFTER = before
            packed = [e for s in store.load(merchant["merchant_id"]) for e in s.entries.values() if e.id == bob["id"]]
            assert packed[0].groups == ("grp_x",) and packed[0].member is True
        assert _ids(client, group_id="grp_x", has_membership="true") == [bob["id"]]


def test_cached_shards_follow_what_other_containers_write(
    stack: Stack, merchant: dict[str, Any], client: ApiClient
) -> None:
    """A container keeps unpacked shards between requests; packing, changes and erasure made elsewhere are
    seen on its next read, and a read with nothing changed fetches no packed shard again."""
    from clientele.customers import directory
    from clientele.customers.directory import DirectoryStore
    from clientele.storage.table import data_table

    ana = _create(client, given_name="Ana")
    bob = _create(client, given_name="Bob")
    mid = merchant["merchant_id"]
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        table = data_table()
        here, elsewhere = DirectoryStore(table), DirectoryStore(table)
        calls: list[int] = []
        original = table.batch_get

        def counted(keys: list[tuple[str, str]], **kwargs: Any) -> list[Any]:
            calls.append(len(keys))
            return original(keys, **kwargs)

        table.batch_get = counted  # type: ignore[method-assign]

        def names() -> dict[str, str]:
            return {e.id: e.given for s in here.load(mid) for e in s.entries.values()}

        try:
            assert names() == {ana["id"]: "ana", bob["id"]: "bob"}
            before = directory.PACK_AFTER
            directory.PACK_AFTER = 1
            try:
                elsewhere.pack_due(mid, elsewhere.load(mid))
            finally:
                directory.PACK_AFTER = before
            calls.clear()
            assert names() == {ana["id"]: "ana", bob["id"]: "bob"}
            assert len(calls) == 2  # the packing moved two shards: their packed items are read again
            calls.clear()
            assert names() == {ana["id"]: "ana", bob["id"]: "bob"}
            assert calls == [16]  # nothing moved: only the pending items
        finally:
            del table.batch_get
        client.patch(f"/v1/customers/{ana['id']}", {"version": 1, "given_name": "Anna"})
        assert names() == {ana["id"]: "anna", bob["id"]: "bob"}
        assert client.delete(f"/v1/customers/{bob['id']}").status == 204
        assert names() == {ana["id"]: "anna"}
