"""Admin CLI: create merchants and API keys, migrate legacy customers — locally or on a deployed stack.

    python -m infra.admin [--local | --stack NAME --region R] create-merchant --name "Café" [--accept-terms]
    python -m infra.admin ... create-key --merchant-id mer_… --role staff [--site-id site_…]
    python -m infra.admin ... migrate-legacy --merchant-id mer_… --csv customers.csv

``--local`` (the default) talks to the stack ``make run`` started (``.local/stack.json``);
``--stack`` reads the deployed CloudFormation stack's outputs and uses your AWS credentials.
Secrets are printed once and never stored.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LEGACY_COLUMNS = ("given_name", "family_name", "email", "phone", "birthday", "locale")


def _use_local(region: str) -> None:
    state = ROOT / ".local" / "stack.json"
    if not state.exists():
        raise SystemExit("no local stack: start it with `make run` (or pass --stack NAME for a deployed one)")
    endpoint = json.loads(state.read_text())["aws_endpoint_url"]
    api_url = json.loads(state.read_text())["api_url"]
    from infra.local.server import FAKE_CREDENTIALS
    from infra.local.stack import deploy

    os.environ.update(FAKE_CREDENTIALS)
    os.environ.update(AWS_DEFAULT_REGION=region, AWS_ENDPOINT_URL=endpoint)
    info = deploy(endpoint, region, public_base_url=api_url)  # the running stack: found, not created again
    os.environ.update(info.global_environment())


def _use_deployed(stack_name: str, region: str) -> None:
    import boto3

    stacks = boto3.client("cloudformation", region_name=region).describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    os.environ.update(
        AWS_DEFAULT_REGION=region,
        TABLE_NAME=outputs["DataTableName"],
        APP_SECRET_ARN=outputs["AppSecretArn"],
        PUBLIC_BASE_URL=outputs.get("PublicBaseUrl") or outputs["ApiUrl"],
    )


def _owner(merchant_id: str) -> Any:
    from clientele.account.wiring import merchants
    from clientele.kernel.permissions import Principal, Role

    merchant = merchants().get(merchant_id)
    return merchant, Principal(
        merchant_id=merchant.id,
        key_id="admin-cli",
        role=Role.OWNER,
        terms_accepted=merchant.terms is not None,
        country=merchant.country,
        locale=merchant.locale,
    )


def create_merchant(args: argparse.Namespace) -> dict[str, Any]:
    from infra.onboarding import create_merchant as onboard

    return onboard(
        name=args.name,
        email=args.email,
        country=args.country,
        locale=args.locale,
        time_zone=args.time_zone,
        currency=args.currency,
        accept_terms=args.accept_terms,
    )


def create_key(args: argparse.Namespace) -> dict[str, Any]:
    from clientele.account.wiring import account_service
    from clientele.kernel.permissions import Role

    merchant, _ = _owner(args.merchant_id)
    issued = account_service().issue_key(
        None, merchant, role=Role(args.role), site_ids=args.site_id or None, name=args.name
    )
    return {
        "key_id": issued.key.id,
        "role": issued.key.role.value,
        "site_ids": issued.key.site_ids,
        "api_key": issued.secret,
    }


def migrate_legacy(args: argparse.Namespace) -> dict[str, Any]:
    """One customer per CSV row, source ``legacy``; a per-row report. Rows that clash are skipped."""
    from clientele.customers.model import Source
    from clientele.customers.service import CustomerDraft
    from clientele.customers.wiring import customer_service
    from clientele.kernel.errors import DomainError

    _, owner = _owner(args.merchant_id)
    report: list[dict[str, Any]] = []
    with open(args.csv, newline="", encoding="utf-8-sig") as handle:
        for row_number, row in enumerate(csv.DictReader(handle), start=2):
            fields = {k: (row.get(k) or "").strip() or None for k in LEGACY_COLUMNS}
            try:
                customer = customer_service().create(
                    owner, CustomerDraft(**{k: v for k, v in fields.items() if v}, source=Source.LEGACY)
                )
            except DomainError as error:
                report.append(
                    {
                        "row": row_number,
                        "status": "skipped",
                        "errors": [{"code": d.code, "field": d.field} for d in error.details],
                    }
                )
            else:
                report.append({"row": row_number, "status": "created", "customer_id": customer.id})
    created = sum(1 for r in report if r["status"] == "created")
    return {"created": created, "skipped": len(report) - created, "rows": report}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.admin", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--local", action="store_true", help="the stack `make run` started (default)")
    target.add_argument("--stack", metavar="NAME", help="a deployed CloudFormation stack")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "eu-west-1"))
    commands = parser.add_subparsers(dest="command", required=True)

    merchant = commands.add_parser("create-merchant", help="a merchant with its first site and an owner key")
    merchant.add_argument("--name", required=True)
    merchant.add_argument("--email")
    merchant.add_argument("--country", default="NL")
    merchant.add_argument("--locale", default="en", choices=["en", "fr", "nl"])
    merchant.add_argument("--time-zone", default="Europe/Amsterdam")
    merchant.add_argument("--currency", default="EUR")
    merchant.add_argument("--accept-terms", action="store_true", help="record the terms as accepted now")
    merchant.set_defaults(run=create_merchant)

    key = commands.add_parser("create-key", help="an API key for a role, optionally limited to sites")
    key.add_argument("--merchant-id", required=True)
    key.add_argument("--role", required=True, choices=["owner", "manager", "staff"])
    key.add_argument("--site-id", action="append")
    key.add_argument("--name")
    key.set_defaults(run=create_key)

    legacy = commands.add_parser("migrate-legacy", help="customers saved by an earlier system, from a CSV")
    legacy.add_argument("--merchant-id", required=True)
    legacy.add_argument("--csv", required=True, help=f"columns: {', '.join(LEGACY_COLUMNS)}")
    legacy.set_defaults(run=migrate_legacy)

    args = parser.parse_args(argv)
    if args.stack:
        _use_deployed(args.stack, args.region)
    else:
        _use_local(args.region)
    from clientele.kernel.errors import DomainError

    try:
        result = args.run(args)
    except DomainError as error:
        print(
            json.dumps({"errors": [{"code": d.code, "detail": d.detail, "field": d.field} for d in error.details]}),
            file=sys.stderr,
        )
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
