"""SES bounce and complaint notifications (shapes from the Amazon SES Developer Guide) read by the pure rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clientele.messaging.model import DeliveryStatus, SuppressionReason
from clientele.messaging.rules import bounce_code, complaint_code, message_tags, parse_ses_event

TAGS = {
    "ses:configuration-set": ["clientele-prod"],
    "ses:source-ip": ["192.0.2.0"],
    "ses:from-domain": ["example.com"],
    "ses:caller-identity": ["clientele-prod-DeliveryFunction"],
    "delivery_id": ["dlv_0sx3cjdok0ejopdiwipdxa04v"],
    "merchant_id": ["mer_0nmqgc6qhfvok050c7ybct31i"],
    "customer_id": ["cus_mee8nsi4vfiosirbetmw10c6v"],
    "kind": ["receipt"],
}


def _mail(**overrides: Any) -> dict[str, Any]:
    return {
        "timestamp": "2026-01-21T18:47:51.662Z",
        "source": "Café Noir <no-reply@example.com>",
        "sourceArn": "arn:aws:ses:eu-west-1:123456789012:identity/example.com",
        "sendingAccountId": "123456789012",
        "messageId": "0102018a-aaaa-bbbb-cccc-000000000000-000000",
        "destination": ["ana@example.net"],
        "headersTruncated": False,
        "tags": TAGS,
        **overrides,
    }


def bounce_event(bounce_type: str = "Permanent", subtype: str = "General") -> dict[str, Any]:
    """An event-publishing bounce (configuration set -> SNS), as in "Examples of event data"."""
    return {
        "eventType": "Bounce",
        "bounce": {
            "feedbackId": "0102018a-dddd-eeee-ffff-000000000000-000000",
            "bounceType": bounce_type,
            "bounceSubType": subtype,
            "bouncedRecipients": [
                {
                    "emailAddress": "ana@example.net",
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 <ana@example.net>... User unknown",
                }
            ],
            "timestamp": "2026-01-21T18:47:52.000Z",
            "reportingMTA": "dsn; e226-55.smtp-out.eu-west-1.amazonses.com",
        },
        "mail": _mail(),
    }


def complaint_event(feedback_type: str | None = "abuse", subtype: str | None = None) -> dict[str, Any]:
    complaint: dict[str, Any] = {
        "feedbackId": "0102018a-1111-2222-3333-000000000000-000000",
        "complaintSubType": subtype,
        "complainedRecipients": [{"emailAddress": "ana@example.net"}],
        "timestamp": "2026-01-21T19:01:00.000Z",
        "userAgent": "Mozilla/5.0",
        "arrivalDate": "2026-01-21T19:00:59.000Z",
    }
    if feedback_type is not None:
        complaint["complaintFeedbackType"] = feedback_type
    return {"eventType": "Complaint", "complaint": complaint, "mail": _mail()}


class TestBounces:
    def test_a_permanent_bounce_suppresses_and_marks_bounced_with_ids_from_the_tags(self) -> None:
        feedback = parse_ses_event(json.dumps(bounce_event("Permanent", "NoEmail")))

        assert feedback is not None
        assert feedback.status is DeliveryStatus.BOUNCED
        assert feedback.suppress is SuppressionReason.BOUNCE
        assert feedback.code == "BOUNCE_PERMANENT_NO_EMAIL"
        assert (feedback.delivery_id, feedback.merchant_id, feedback.customer_id) == (
            "dlv_0sx3cjdok0ejopdiwipdxa04v",
            "mer_0nmqgc6qhfvok050c7ybct31i",
            "cus_mee8nsi4vfiosirbetmw10c6v",
        )
        assert feedback.message_id == "0102018a-aaaa-bbbb-cccc-000000000000-000000"
        assert feedback.recipients == ("ana@example.net",)

    def test_the_code_never_carries_the_diagnostic_text(self) -> None:
        feedback = parse_ses_event(bounce_event())
        assert feedback is not None and feedback.code == "BOUNCE_PERMANENT_GENERAL"
        assert "@" not in feedback.code and "550" not in feedback.code

    @pytest.mark.parametrize(
        ("bounce_type", "subtype"), [("Transient", "MailboxFull"), ("Undetermined", "Undetermined")]
    )
    def test_a_transient_or_undetermined_bounce_marks_but_never_suppresses(
        self, bounce_type: str, subtype: str
    ) -> None:
        feedback = parse_ses_event(bounce_event(bounce_type, subtype))
        assert feedback is not None
        assert feedback.status is DeliveryStatus.BOUNCED and feedback.suppress is None
        assert feedback.code.startswith(f"BOUNCE_{bounce_type.upper()}_")

    def test_identity_notifications_and_the_sns_envelope_read_the_same(self) -> None:
        legacy = bounce_event("Permanent", "Suppressed")
        legacy["notificationType"] = legacy.pop("eventType")
        envelope = {
            "Type": "Notification",
            "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
            "TopicArn": "arn:aws:sns:eu-west-1:123456789012:EmailEvents",
            "Message": json.dumps(legacy),
            "Timestamp": "2026-01-21T18:47:53.000Z",
        }
        feedback = parse_ses_event(json.dumps(envelope))
        assert feedback is not None
        assert feedback.code == "BOUNCE_PERMANENT_SUPPRESSED" and feedback.suppress is SuppressionReason.BOUNCE

    def test_without_bounced_recipients_the_destination_counts(self) -> None:
        event = bounce_event()
        event["bounce"]["bouncedRecipients"] = []
        feedback = parse_ses_event(event)
        assert feedback is not None and feedback.recipients == ("ana@example.net",)

    def test_untagged_mail_has_no_ids(self) -> None:
        event = bounce_event()
        event["mail"] = _mail(tags={"ses:configuration-set": ["clientele-prod"]})
        feedback = parse_ses_event(event)
        assert feedback is not None
        assert feedback.delivery_id is None and feedback.merchant_id is None and feedback.customer_id is None

    @pytest.mark.parametrize("value", ["Ana_Martins", "ana-example-net", "mer_", "MER_0NMQGC6QHFVOK050C7YBCT31I", ""])
    def test_a_tag_that_is_not_an_id_is_never_read_back(self, value: str) -> None:
        """Only id-shaped tag values reach the delivery update and the logs: never a name or an address."""
        event = bounce_event()
        event["mail"] = _mail(tags={**TAGS, "merchant_id": [value], "delivery_id": [value]})
        feedback = parse_ses_event(event)
        assert feedback is not None
        assert feedback.merchant_id is None and feedback.delivery_id is None
        assert feedback.customer_id == "cus_mee8nsi4vfiosirbetmw10c6v"


class TestComplaints:
    def test_a_complaint_suppresses_and_marks_complained(self) -> None:
        feedback = parse_ses_event(complaint_event("abuse"))
        assert feedback is not None
        assert feedback.status is DeliveryStatus.COMPLAINED
        assert feedback.suppress is SuppressionReason.COMPLAINT
        assert feedback.code == "COMPLAINT_ABUSE"
        assert feedback.recipients == ("ana@example.net",)

    def test_a_complaint_without_a_feedback_type_still_suppresses(self) -> None:
        feedback = parse_ses_event(complaint_event(None))
        assert feedback is not None and feedback.code == "COMPLAINT"
        assert feedback.suppress is SuppressionReason.COMPLAINT

    def test_a_report_that_says_not_spam_changes_nothing(self) -> None:
        assert parse_ses_event(complaint_event("not-spam")) is None


class TestOtherEvents:
    @pytest.mark.parametrize("event_type", ["Send", "Delivery", "Open", "Click", "Reject", "DeliveryDelay"])
    def test_other_event_types_are_ignored(self, event_type: str) -> None:
        assert parse_ses_event({"eventType": event_type, "mail": _mail()}) is None

    @pytest.mark.parametrize("body", ['{"hello": "world"}', "[]", '{"eventType": "Bounce"}'])
    def test_what_is_not_an_ses_notification_is_refused(self, body: str) -> None:
        with pytest.raises(ValueError):
            parse_ses_event(body)


def test_codes_come_from_ses_vocabularies_only() -> None:
    assert bounce_code("Permanent", "OnAccountSuppressionList") == "BOUNCE_PERMANENT_ON_ACCOUNT_SUPPRESSION_LIST"
    assert bounce_code("Permanent", "<ana@example.net>") == "BOUNCE_PERMANENT"
    assert bounce_code("Weird", "General") == "BOUNCE"
    assert complaint_code("auth-failure", None) == "COMPLAINT_AUTH_FAILURE"
    assert complaint_code("abuse", "OnAccountSuppressionList") == "COMPLAINT_ON_ACCOUNT_SUPPRESSION_LIST"
    assert complaint_code("free text", None) == "COMPLAINT"


def test_message_tags_carry_ids_in_the_characters_ses_allows() -> None:
    tags = message_tags(delivery_id="dlv_01J", merchant_id="mer_01J", customer_id="cus_01J", kind="already_on_list")
    assert tags == {
        "delivery_id": "dlv_01J",
        "merchant_id": "mer_01J",
        "customer_id": "cus_01J",
        "kind": "already_on_list",
    }
    odd = message_tags(delivery_id="dlv 1/2", merchant_id="m", customer_id="c", kind="k")
    assert odd["delivery_id"] == "dlv_1_2"
