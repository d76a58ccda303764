"""Intake forms (issue 18): the merchant's forms and versions, the link by email, SMS or QR code, the hosted page
/f/{token} (localised, checked, explicit consent to the processing of health data, single use), the answers
readable only with `customers:health`, erased with the customer, in "download my data", never logged."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from unittest import mock
from urllib.parse import urlencode

import pytest

from tests.conftest import ApiClient, Stack
from tests.erasure.scan import find_personal_data
from tests.intake.conftest import (
    FORM_HEADERS,
    QUESTIONS,
    answers,
    ask,
    emailed_link,
    make_customer,
    make_form,
    path_of,
    post,
)


def _token(stack: Stack, purpose: str, payload: dict[str, str], *, at: float | None = None) -> str:
    from clientele.platform.secrets import link_signer

    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        if at is None:
            return link_signer().sign(purpose, payload)
        with mock.patch("itsdangerous.timed.time.time", return_value=at):
            return link_signer().sign(purpose, payload)


class TestForms:
    def test_a_form_is_defined_read_and_listed(self, client: ApiClient) -> None:
        form = make_form(client)
        assert form["version"] == 1 and not form["archived"]
        assert [q["id"] for q in form["questions"]] == [q["id"] for q in QUESTIONS]
        assert form["questions"][3]["choices"][2] == {
            "value": "epilepsy",
            "label": {"en": "Epilepsy", "fr": "Épilepsie", "nl": "Epilepsie"},
        }
        assert client.get(f"/v1/intake-forms/{form['id']}").json() == form
        assert [f["id"] for f in client.get("/v1/intake-forms").json()["items"]] == [form["id"]]

    @pytest.mark.parametrize(
        "question",
        [
            {"id": "q", "kind": "single_choice", "label": {"en": "One choice"}, "choices": []},
            {"id": "q", "kind": "text", "label": {"en": "Text"}, "choices": [{"value": "a", "label": {"en": "A"}}]},
            {"id": "q", "kind": "text", "label": {}},
            {"id": "Bad id", "kind": "text", "label": {"en": "Text"}},
            {"id": "q", "kind": "colour", "label": {"en": "Text"}},
            {
                "id": "q",
                "kind": "multiple_choice",
                "label": {"en": "Twice"},
                "choices": [{"value": "a", "label": {"en": "A"}}, {"value": "a", "label": {"en": "B"}}],
            },
        ],
    )
    def test_a_bad_question_is_refused(self, client: ApiClient, question: dict[str, Any]) -> None:
        response = client.post("/v1/intake-forms", {"title": {"en": "Form"}, "questions": [question]})
        assert response.status == 422, response.text

    def test_two_questions_with_one_id_are_refused(self, client: ApiClient) -> None:
        question = {"id": "q", "kind": "text", "label": {"en": "Text"}}
        response = client.post("/v1/intake-forms", {"title": {"en": "Form"}, "questions": [question, question]})
        assert response.status == 422

    def test_the_version_moves_when_the_questions_change(self, client: ApiClient) -> None:
        form = make_form(client)
        retitled = client.patch(f"/v1/intake-forms/{form['id']}", {"title": {"en": "Before your massage"}}).json()
        assert retitled["version"] == 1 and retitled["title"] == {"en": "Before your massage"}
        same = client.patch(f"/v1/intake-forms/{form['id']}", {"questions": QUESTIONS}).json()
        assert same["version"] == 1
        changed = client.patch(f"/v1/intake-forms/{form['id']}", {"questions": QUESTIONS[:2]}).json()
        assert changed["version"] == 2 and len(changed["questions"]) == 2
        archived = client.patch(f"/v1/intake-forms/{form['id']}", {"archived": True}).json()
        assert archived["archived"] and archived["version"] == 2
        assert client.get("/v1/intake-forms").json()["items"] == []
        assert [f["id"] for f in client.get("/v1/intake-forms", params={"archived": "true"}).json()["items"]] == [
            form["id"]
        ]

    def test_staff_read_forms_but_only_health_keys_define_them(
        self, stack: Stack, api: ApiClient, client: ApiClient
    ) -> None:
        form = make_form(client)
        staff = client.as_key(client.post("/v1/api-keys", {"role": "staff"}).json()["secret"])
        assert staff.get(f"/v1/intake-forms/{form['id']}").status == 200
        refused = staff.post("/v1/intake-forms", {"title": {"en": "F"}, "questions": QUESTIONS})
        assert refused.status == 403 and refused.error_codes() == ["FORBIDDEN"]
        assert staff.patch(f"/v1/intake-forms/{form['id']}", {"archived": True}).status == 403
        manager = client.as_key(client.post("/v1/api-keys", {"role": "manager"}).json()["secret"])
        assert manager.patch(f"/v1/intake-forms/{form['id']}", {"title": {"fr": "Santé"}}).status == 200
        other = api.as_key(stack.create_merchant()["api_key"])
        assert other.get(f"/v1/intake-forms/{form['id']}").status == 404
        assert other.patch(f"/v1/intake-forms/{form['id']}", {"archived": True}).status == 404


class TestSending:
    def test_the_link_by_email_and_by_sms(self, stack: Stack, api: ApiClient, client: ApiClient) -> None:
        form = make_form(client)
        customer = make_customer(client, phone="+31612345678", locale="nl")
        sent = ask(client, customer["id"], form["id"], channel="email")
        assert sent["channel"] == "email" and "/f/" in sent["url"] and sent["qr_svg"] is None
        link = emailed_link(stack, customer["email"])
        page = api.get(link)
        assert page.status == 200 and "Gezondheidsvragenlijst" in page.text  # the customer's language

        ask(client, customer["id"], form["id"], channel="sms")
        stack.drain("DeliveryQueue")
        [sms] = [m for m in stack.outbox() if m.get("to") == "+31612345678"]
        assert "/f/" in sms["text"] and len(sms["text"]) <= 306

    def test_what_cannot_be_sent(self, stack: Stack, api: ApiClient, client: ApiClient) -> None:
        form = make_form(client)
        nobody = client.post("/v1/customers", {"given_name": "Walk-in"}).json()
        for channel, code in (("email", "CUSTOMER_WITHOUT_EMAIL"), ("sms", "CUSTOMER_WITHOUT_PHONE")):
            refused = client.post(
                f"/v1/customers/{nobody['id']}/intake-requests", {"form_id": form["id"], "channel": channel}
            )
            assert refused.status == 422 and refused.error_codes() == [code]
        at_the_desk = ask(client, nobody["id"], form["id"], channel="link")  # a QR code at the desk needs no address
        assert "/f/" in at_the_desk["url"] and at_the_desk["qr_svg"].startswith("<?xml")
        assert "<svg" in at_the_desk["qr_svg"] and "Intake form QR code" in at_the_desk["qr_svg"]
        unknown = client.post(
            f"/v1/customers/{nobody['id']}/intake-requests", {"form_id": "ifm_nope", "channel": "link"}
        )
        assert unknown.status == 404
        client.patch(f"/v1/intake-forms/{form['id']}", {"archived": True})
        archived = client.post(
            f"/v1/customers/{nobody['id']}/intake-requests", {"form_id": form["id"], "channel": "link"}
        )
        assert archived.status == 422 and archived.error_codes() == ["FORM_ARCHIVED"]
        other = api.as_key(stack.create_merchant()["api_key"])
        foreign = other.post(
            f"/v1/customers/{nobody['id']}/intake-requests", {"form_id": form["id"], "channel": "link"}
        )
        assert foreign.status == 404


class TestThePage:
    def test_a_customer_fills_in_the_form(self, api: ApiClient, client: ApiClient) -> None:
        form = make_form(client)
        customer = make_customer(client)
        link = path_of(ask(client, customer["id"], form["id"])["url"])

        page = api.get(link)
        assert page.status == 200, page.text
        assert page.headers["cache-control"].startswith("no-store")
        assert "<script" not in page.text
        assert "Health questionnaire" in page.text and "Any allergies?" in page.text
        assert "processing the health information" in page.text
        assert 'href="/privacy?lang=en"' in page.text
        french = api.get(link, params={"lang": "fr"})
        assert "Questionnaire de santé" in french.text and "Êtes-vous enceinte ?" in french.text

        done = post(api, link, answers())
        assert done.status == 200, done.text
        assert "Your answers were sent" in done.text

        [submitted] = client.get(f"/v1/customers/{customer['id']}/intake-forms").json()["items"]
        assert (submitted["form_id"], submitted["form_version"], submitted["title"]) == (
            form["id"],
            1,
            "Health questionnaire",
        )
        by_id = {a["question_id"]: a for a in submitted["answers"]}
        assert by_id["allergies"]["value"] == "Latex" and by_id["allergies"]["label"] == "Any allergies?"
        assert by_id["pregnant"]["value"] is False
        assert (by_id["skin"]["value"], by_id["skin"]["shown"]) == ("dry", "Dry")
        assert by_id["conditions"]["value"] == ["asthma", "epilepsy"]
        assert by_id["last_treatment"]["value"] == "2026-03-14"
        assert submitted["consent"]["text"].startswith("I consent to") and submitted["consent"]["locale"] == "en"

        # single use: the link is closed by the answers; a new link makes a new submission
        again = post(api, link, answers())
        assert again.status == 410 and "already been sent" in again.text
        assert api.get(link).status == 410
        second = path_of(ask(client, customer["id"], form["id"])["url"])
        assert post(api, second, answers(locale="nl", q_allergies="Geen")).status == 200
        listed = client.get(f"/v1/customers/{customer['id']}/intake-forms").json()["items"]
        assert [s["locale"] for s in listed] == ["nl", "en"]  # newest first, both kept
        assert listed[0]["title"] == "Gezondheidsvragenlijst"

    @pytest.mark.parametrize(
        ("locale", "fields", "question", "words"),
        [
            ("en", {"q_allergies": ""}, "allergies", "Answer this question."),
            ("fr", {"q_pregnant": None}, "pregnant", "Répondez à cette question."),
            ("nl", {"q_pregnant": "maybe"}, "pregnant", "Kies uit de getoonde antwoorden."),
            ("en", {"q_skin": "purple"}, "skin", "Choose among the answers shown."),
            ("fr", {"q_conditions": ["asthma", "gout"]}, "conditions", "Choisissez parmi les réponses proposées."),
            ("en", {"q_last_treatment": "2026-02-30"}, "last_treatment", "Enter a date as YYYY-MM-DD"),
            ("nl", {"q_last_treatment": "14/03/2026"}, "last_treatment", "Vul een datum in als JJJJ-MM-DD"),
            ("en", {"q_last_treatment": "1850-01-01"}, "last_treatment", "Enter a date as YYYY-MM-DD"),
            ("en", {"q_allergies": "x" * 2001}, "allergies", "This is too long"),
            ("fr", {"consent": None}, "consent", "Cochez cette case pour envoyer vos réponses"),
        ],
    )
    def test_wrong_answers_are_refused_in_the_visitors_language(
        self, api: ApiClient, client: ApiClient, locale: str, fields: dict[str, Any], question: str, words: str
    ) -> None:
        form = make_form(client)
        customer = make_customer(client)
        link = path_of(ask(client, customer["id"], form["id"])["url"])
        refused = post(api, link, answers(locale=locale, **fields))
        assert refused.status == 422, refused.text
        assert words in refused.text
        assert 'aria-invalid="true"' in refused.text
        assert f'lang="{locale}"' in refused.text
        assert client.get(f"/v1/customers/{customer['id']}/intake-forms").json()["items"] == []
        assert post(api, link, answers(locale=locale)).status == 200  # the link still works once corrected

    def test_optional_questions_may_stay_blank(self, api: ApiClient, client: ApiClient) -> None:
        form = make_form(client)
        customer = make_customer(client)
        link = path_of(ask(client, customer["id"], form["id"])["url"])
        blank = answers(q_skin=None, q_conditions=None, q_last_treatment="")
        assert post(api, link, blank).status == 200
        [submitted] = client.get(f"/v1/customers/{customer['id']}/intake-forms").json()["items"]
        by_id = {a["question_id"]: a for a in submitted["answers"]}
        assert by_id["skin"]["value"] is None and by_id["last_treatment"]["value"] is None

    def test_a_form_edited_after_the_link_was_sent(self, api: ApiClient, client: ApiClient) -> None:
        form = make_form(client)
        customer = make_customer(client)
        link = path_of(ask(client, customer["id"], form["id"])["url"])
        assert 'name="version" value="1"' in api.get(link).text
        extra = {"id": "medication", "kind": "text", "required": True, "label": {"en": "Any medication?"}}
        edited = client.patch(f"/v1/intake-forms/{form['id']}", {"questions": [*QUESTIONS, extra]}).json()
        assert edited["version"] == 2

        stale = post(api, link, answers(version=1))
        assert stale.status == 409 and "changed this form while you were filling it in" in stale.text
        assert "Any medication?" in stale.text and ">Latex</textarea>" in stale.text  # typed answers kept
        assert 'name="version" value="2"' in stale.text
        assert client.get(f"/v1/customers/{customer['id']}/intake-forms").json()["items"] == []

        assert post(api, link, answers(version=2, q_medication="None")).status == 200
        [submitted] = client.get(f"/v1/customers/{customer['id']}/intake-forms").json()["items"]
        assert submitted["form_version"] == 2 and len(submitted["answers"]) == 6

    def test_forged_foreign_and_expired_links(
        self, stack: Stack, api: ApiClient, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        form = make_form(client)
        customer = make_customer(client)
        sent = ask(client, customer["id"], form["id"])
        payload = {"m": merchant["merchant_id"], "c": customer["id"], "r": sent["id"]}

        forged = api.get("/f/not-a-token", headers={"accept-language": "fr"})
        assert forged.status == 404 and "Ce lien ne fonctionne pas" in forged.text
        assert 'href="/privacy?lang=fr"' in forged.text
        tampered = path_of(sent["url"])[:-3] + "abc"
        assert api.get(tampered).status == 404
        assert post(api, "/f/abc.def.ghi", answers()).status == 404

        foreign = _token(stack, "mandate", payload)  # the right ids under another purpose
        assert api.get(f"/f/{foreign}").status == 404
        assert api.get(f"/f/{_token(stack, 'intake', payload)}").status == 200  # the same ids, this purpose

        expired = _token(stack, "intake", payload, at=time.time() - 31 * 86_400)
        page = api.get(f"/f/{expired}", headers={"accept-language": "nl"})
        assert page.status == 410 and "Deze link is verlopen" in page.text
        assert 'href="/privacy?lang=nl"' in page.text

        other = stack.create_merchant()
        crossed = _token(stack, "intake", {**payload, "m": other["merchant_id"]})
        assert api.get(f"/f/{crossed}").status == 404

        client.patch(f"/v1/intake-forms/{form['id']}", {"archived": True})
        archived = api.get(path_of(sent["url"]))
        assert archived.status == 404 and "ask the shop to send you the form again" in archived.text


class TestReading:
    def test_only_keys_with_customers_health_read_the_answers(
        self, stack: Stack, api: ApiClient, client: ApiClient
    ) -> None:
        form = make_form(client)
        customer = make_customer(client)
        link = path_of(ask(client, customer["id"], form["id"])["url"])
        assert post(api, link, answers()).status == 200
        path = f"/v1/customers/{customer['id']}/intake-forms"

        staff = client.as_key(client.post("/v1/api-keys", {"role": "staff"}).json()["secret"])
        refused = staff.get(path)
        assert refused.status == 403 and refused.error_codes() == ["FORBIDDEN"]
        assert "Latex" not in refused.text
        # staff at the desk may still hand the form over (a QR code) without reading the answers
        assert (
            staff.post(
                f"/v1/customers/{customer['id']}/intake-requests", {"form_id": form["id"], "channel": "link"}
            ).status
            == 201
        )
        manager = client.as_key(client.post("/v1/api-keys", {"role": "manager"}).json()["secret"])
        assert len(manager.get(path).json()["items"]) == 1
        other = api.as_key(stack.create_merchant()["api_key"])
        assert other.get(path).status == 404
        assert client.get("/v1/customers/cus_unknown/intake-forms").status == 404

    def test_download_my_data_holds_the_answers(
        self, stack: Stack, api: ApiClient, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        from tests.erasure.test_portal_download import _codes, _field

        form = make_form(client)
        customer = make_customer(client)
        link = path_of(ask(client, customer["id"], form["id"])["url"])
        assert post(api, link, answers(q_allergies="Peanuts and penicillin")).status == 200

        asked = post(api, "/privacy", {"action": "request", "contact": customer["email"]})
        [code] = _codes(stack, customer["email"])
        listed = post(api, "/privacy", {"action": "verify", "pending": _field(asked.text, "pending"), "code": code})
        fields = {"session": _field(listed.text, "session"), "shop": merchant["merchant_id"]}
        page = post(api, "/privacy", {"action": "data", **fields})
        assert page.status == 200
        for words in ("Your intake forms", "Health questionnaire", "Any allergies?", "Peanuts and penicillin"):
            assert words in page.text, words
        data = json.loads(post(api, "/privacy", {"action": "data_file", **fields}).text)
        [submitted] = data["intake_forms"]
        assert submitted["form_version"] == 1 and submitted["title"] == "Health questionnaire"
        assert submitted["answers"][0] | {"shown": None} == {
            "question_id": "allergies",
            "kind": "text",
            "label": "Any allergies?",
            "value": "Peanuts and penicillin",
            "shown": None,
        }
        assert submitted["consent"]["text"].startswith("I consent to")


def test_erasing_the_customer_erases_the_answers(
    stack: Stack, api: ApiClient, client: ApiClient, merchant: dict[str, Any]
) -> None:
    from clientele.erasure.repository import ErasureRepository
    from clientele.storage.table import data_table

    form = make_form(client)
    customer = make_customer(client)
    link = path_of(ask(client, customer["id"], form["id"])["url"])
    unused = path_of(ask(client, customer["id"], form["id"])["url"])
    marker = "Zygomatic-arthritis-7731"
    assert post(api, link, answers(q_allergies=marker)).status == 200
    assert find_personal_data(stack.info, [marker])  # the scan does find it

    assert client.delete(f"/v1/customers/{customer['id']}").status == 204
    assert find_personal_data(stack.info, [marker]) == []
    assert client.get(f"/v1/customers/{customer['id']}/intake-forms").status == 404
    assert api.get(unused).status == 404  # its request went with the customer
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        tombstone = ErasureRepository(data_table()).tombstone(merchant["merchant_id"], customer["id"])
    assert tombstone is not None and tombstone["path"] == "merchant"
    assert client.get(f"/v1/intake-forms/{form['id']}").status == 200  # the merchant's form stays


def test_answers_never_reach_the_logs(api: ApiClient, client: ApiClient) -> None:
    from clientele.platform.observability import logger as service_logger
    from tests.log_scan import Recorder

    recorder = Recorder()
    recorder.setFormatter(service_logger.registered_formatter)
    watched = [logging.getLogger(service_logger.name), logging.getLogger()]
    for target in watched:
        target.addHandler(recorder)
    try:
        form = make_form(client)
        customer = make_customer(client)
        link = path_of(ask(client, customer["id"], form["id"])["url"])
        marker = "Hemophilia-B-marker-4242"
        assert post(api, link, answers(q_allergies="", q_conditions="gout")).status == 422
        assert post(api, link, answers(q_allergies=marker)).status == 200
        client.get(f"/v1/customers/{customer['id']}/intake-forms")
    finally:
        for target in watched:
            target.removeHandler(recorder)
    assert any("intake form submitted" in line for line in recorder.lines)  # the scan saw the page's log
    assert not [line for line in recorder.lines if marker in line or "Latex" in line]


def test_a_merge_moves_the_answers_to_the_survivor(api: ApiClient, client: ApiClient) -> None:
    form = make_form(client)
    survivor, source = make_customer(client), make_customer(client)
    source_link = path_of(ask(client, source["id"], form["id"])["url"])
    assert post(api, source_link, answers(q_allergies="From the source")).status == 200
    open_link = path_of(ask(client, source["id"], form["id"])["url"])

    merged = client.post(f"/v1/customers/{survivor['id']}/merge", {"source_customer_id": source["id"]})
    assert merged.status == 200, merged.text
    [moved] = client.get(f"/v1/customers/{survivor['id']}/intake-forms").json()["items"]
    assert moved["answers"][0]["value"] == "From the source"
    assert api.get(open_link).status == 404  # a link names the merged-away customer: it stops working


def test_long_answers_fit_and_a_body_too_large_gets_a_page(api: ApiClient, client: ApiClient) -> None:
    questions = [{"id": f"t{i}", "kind": "text", "label": {"en": f"Question {i}"}} for i in range(12)]
    form = make_form(client, questions=questions)
    customer = make_customer(client)
    link = path_of(ask(client, customer["id"], form["id"])["url"])
    body = urlencode({"locale": "fr", "version": "1", "q_t0": "é" * 40_000, "consent": "yes"})
    too_much = api.request("POST", link, data=body, headers={**FORM_HEADERS, "accept-language": "fr"})
    assert too_much.status == 413 and '<html lang="fr">' in too_much.text
    long = {f"q_t{i}": "Lorem ipsum dolor sit amet. " * 70 for i in range(12)}  # 12 answers of ~2000 characters
    assert post(api, link, {"locale": "en", "version": "1", "consent": "yes", **long}).status == 200
