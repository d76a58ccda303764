"""The least-privilege check maps calls to IAM actions the way AWS authorises them."""

from __future__ import annotations

from tests.least_privilege import Need, Policy, required

TABLE = "arn:aws:dynamodb:eu-west-1:123456789012:table/data"


def test_a_transaction_is_authorised_item_by_item() -> None:
    needs = required(
        "dynamodb",
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": "data"}},
                {"Update": {"TableName": "data"}},
                {"Delete": {"TableName": "data"}},
                {"ConditionCheck": {"TableName": "data"}},
            ]
        },
        "eu-west-1",
        "123456789012",
    )
    assert [n.action for n in needs] == [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
    ]
    assert {n.resource for n in needs} == {TABLE}


def test_a_batch_needs_its_action_on_every_table_and_a_query_on_an_index_needs_the_index() -> None:
    needs = required(
        "dynamodb", "BatchWriteItem", {"RequestItems": {"data": [], "other": []}}, "eu-west-1", "123456789012"
    )
    assert {(n.action, n.resource.rsplit("/", 1)[1]) for n in needs} == {
        ("dynamodb:BatchWriteItem", "data"),
        ("dynamodb:BatchWriteItem", "other"),
    }
    (query,) = required("dynamodb", "Query", {"TableName": "data", "IndexName": "GSI1"}, "eu-west-1", "123456789012")
    assert query == Need("dynamodb:Query", f"{TABLE}/index/GSI1")


def test_ses_sqs_sns_and_secrets() -> None:
    ses = required(
        "ses",
        "SendRawEmail",
        {
            "Source": "Shop <no-reply@example.com>",
            "ConfigurationSetName": "clientele-prod",
            "RawMessage": {"Data": b""},
        },
        "eu-west-1",
        "123456789012",
    )
    assert [n.resource.rsplit(":", 1)[1] for n in ses] == ["identity/example.com", "configuration-set/clientele-prod"]
    assert dict(ses[0].context) == {"ses:FromAddress": "no-reply@example.com"}
    (sms,) = required("sns", "Publish", {"PhoneNumber": "+33612345678"}, "eu-west-1", "123456789012")
    assert sms == Need("sns:Publish", "*")
    (send,) = required("sqs", "SendMessageBatch", {"QueueUrl": "https://q/123456789012/work"}, "eu-west-1", "1")
    assert send == Need("sqs:SendMessage", "arn:aws:sqs:eu-west-1:1:work")
    (secret,) = required("secretsmanager", "GetSecretValue", {"SecretId": "arn:aws:secretsmanager:x"}, "r", "1")
    assert secret == Need("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:x")


def test_a_policy_grants_by_action_resource_and_condition() -> None:
    policy = Policy(
        [
            {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": [TABLE]},
            {
                "Effect": "Allow",
                "Action": "ses:SendRawEmail",
                "Resource": "arn:aws:ses:eu-west-1:1:identity/*",
                "Condition": {"StringEquals": {"ses:FromAddress": "no-reply@example.com"}},
            },
        ]
    )
    assert policy.allows(Need("dynamodb:PutItem", TABLE)) == "dynamodb:PutItem"
    assert policy.allows(Need("dynamodb:ConditionCheckItem", TABLE)) is None
    assert policy.allows(Need("dynamodb:PutItem", f"{TABLE}/index/GSI1")) is None
    identity = "arn:aws:ses:eu-west-1:1:identity/example.com"
    assert policy.allows(Need("ses:SendRawEmail", identity, (("ses:FromAddress", "no-reply@example.com"),)))
    assert policy.allows(Need("ses:SendRawEmail", identity, (("ses:FromAddress", "evil@example.com"),))) is None
