"""Inputs schemathesis found answering 500: each is a clear 4xx now."""

from __future__ import annotations

from tests.conftest import ApiClient


def test_a_preference_patch_with_an_empty_description_and_no_wording(client: ApiClient) -> None:
    preference = client.post("/v1/marketing-preferences", {"name": "Newsletter", "channel": "email"}).json()
    response = client.patch(
        f"/v1/marketing-preferences/{preference['id']}",
        {"archived": None, "description": "", "name": None, "wording": {}},
    )
    assert response.status < 500, response.text


def test_an_export_of_an_unknown_preference(client: ApiClient) -> None:
    response = client.post("/v1/customer-exports", {"filters": None, "format": "csv", "marketing_preference": "0" * 63})
    assert 400 <= response.status < 500, response.text


def test_a_body_that_is_json_but_not_an_object_is_422_even_where_every_field_has_a_default(
    client: ApiClient,
) -> None:
    for body in ("[{}, 1]", '"text"', "7"):
        response = client.request(
            "POST", "/v1/signup-qr/rotations", data=body, headers={"content-type": "application/json"}
        )
        assert response.status == 422 and response.error_codes() == ["INVALID_BODY"], response.text
    assert client.get("/v1/settings").json()["merchant_id"]  # nothing rotated meanwhile: the key still works


def test_a_number_is_not_a_yes_or_no(client: ApiClient) -> None:
    kind = client.post(
        "/v1/membership-types",
        {"name": "Monthly", "rate": {"amount": 3900, "currency": "EUR"}, "billing_period": "monthly"},
    ).json()
    assert client.patch(f"/v1/membership-types/{kind['id']}", {"archived": 0}).status == 422
    question = {"id": "allergies", "kind": "text", "label": {"en": "Allergies"}, "required": 0}
    assert client.post("/v1/intake-forms", {"title": {"en": "Intake"}, "questions": [question]}).status == 422
    assert (
        client.post(
            "/v1/intake-forms", {"title": {"en": "Intake"}, "questions": [question | {"required": True}]}
        ).status
        == 201
    )
