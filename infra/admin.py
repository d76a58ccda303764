"""Admin CLI: create merchants and API keys, migrate legacy customers — locally or on a deployed stack.

    python -m infra.admin [--local | --stack NAME --region R] create-merchant --name "Café" [--accept-terms]
    python -m infra.admin ... create-key --merchant-id mer_… --role staff [--site-id site_…]
    python -m infra.admin ... migrate-legacy --merchant-id mer_… --csv customers.csv
    python -m infra.admin ... backfill-directory --merchant-id mer_…

``--local`` (the default) talks to the stack ``make run`` started (``.local/stack.json``);
``--stack`` reads the deployed CloudFormation stack's outputs and uses your AWS credentials.
Secrets are printed once and never stored. Errors are one line on stderr (exit status 1 for a
refused operation, 2 for bad arguments), never a traceback.
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


class AdminError(Exception):
    """A problem the operator can fix, reported as one line without a traceback."""


# ------------------------------------------------------------------------------------- argument types


def time_zone(value: str) -> str:
    """An IANA time zone (``Europe/Paris``); every sale of the merchant's site is dated in it."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise argparse.ArgumentTypeError(f"unknown time zone {value!r} (an IANA name such as Europe/Paris)") from error
    return value


def country(value: str) -> str:
    """An ISO 3166-1 alpha-2 country code (``FR``), upper-cased; it is the default region of phone numbers."""
    import phonenumbers

    code = value.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise argparse.ArgumentTypeError(f"unknown country {value!r} (an ISO 3166-1 alpha-2 code such as FR)")
    return code


def currency(value: str) -> str:
    """An ISO 4217 currency code (``EUR``), upper-cased."""
    from babel.numbers import list_currencies

    code = value.strip().upper()
    if code not in list_currencies():
        raise argparse.ArgumentTypeError(f"unknown currency {value!r} (an ISO 4217 code such as EUR)")
    return code


def readable_file(value: str) -> str:
    path = Path(value)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {value}")
    return value


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
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        cloudformation = boto3.client("cloudformation", region_name=region)
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except NoCredentialsError as error:
        raise AdminError(
            "no AWS credentials: configure them (aws configure, AWS_PROFILE or environment variables)"
        ) from error
    except ClientError as error:
        raise AdminError(f"cannot read stack {stack_name} in {region}: {error.response['Error']['Message']}") from error
    except BotoCoreError as error:
        raise AdminError(f"cannot reach AWS: {error}") from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    if "DataTableName" not in outputs or "AppSecretArn" not in outputs:
        raise AdminError(f"stack {stack_name} has no Clientele outputs (is it still being created?)")
    os.environ.update(
        AWS_DEFAULT_REGION=region,
        TABLE_NAME=outputs["DataTableName"],
        APP_SECRET_ARN=outputs["AppSecretArn"],
        # The custom domain when there is one: printed signup URLs are on the host shoppers see.
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
    from pydantic import ValidationError

    from clientele.customers.model import Source
    from clientele.customers.service import CustomerDraft
    from clientele.customers.wiring import customer_service
    from clientele.kernel.errors import DomainError

    _, owner = _owner(args.merchant_id)
    report: list[dict[str, Any]] = []
    try:
        handle = open(args.csv, newline="", encoding="utf-8-sig")  # noqa: SIM115 (closed below)
    except OSError as error:
        raise AdminError(f"cannot read {args.csv}: {error.strerror}") from error
    with handle:
        reader = csv.DictReader(handle)
        unknown = sorted(set(reader.fieldnames or []) - set(LEGACY_COLUMNS))
        if not reader.fieldnames or unknown:
            raise AdminError(f"{args.csv}: expected a header with {', '.join(LEGACY_COLUMNS)}; unknown: {unknown}")
        for row_number, row in enumerate(reader, start=2):
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
            except (ValidationError, ValueError) as error:  # a malformed value (a birthday that is no date)
                report.append({"row": row_number, "status": "skipped", "errors": _field_errors(error)})
            else:
                report.append({"row": row_number, "status": "created", "customer_id": customer.id})
    created = sum(1 for r in report if r["status"] == "created")
    return {"created": created, "skipped": len(report) - created, "rows": report}


def backfill_directory(args: argparse.Namespace) -> dict[str, Any]:
    """Directory entries for customers created before the directory existed (idempotent)."""
    from clientele.customers.wiring import directory_service

    _owner(args.merchant_id)  # an unknown merchant is an error, not an empty run
    return {"merchant_id": args.merchant_id, **directory_service().backfill(args.merchant_id)}


def _field_errors(error: Exception) -> list[dict[str, Any]]:
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        fields = [str(e["loc"][0]) if e["loc"] else None for e in error.errors()]
        return [{"code": f"INVALID_{field.upper()}" if field else "INVALID", "field": field} for field in fields]
    return [{"code": "INVALID", "field": None}]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.admin", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--local", action="store_true", help="the stack `make run` started (default)")
    target.add_argument("--stack", metavar="NAME", help="a deployed CloudFormation stack (uses your AWS credentials)")
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_REGION", "eu-west-1"),
        help="AWS region of the stack (default: $AWS_REGION or eu-west-1)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    merchant = commands.add_parser("create-merchant", help="a merchant with its first site and an owner key")
    merchant.add_argument("--name", required=True, help="the merchant's trading name, shown to shoppers")
    merchant.add_argument("--email", help="the merchant's contact address (optional)")
    merchant.add_argument(
        "--country", default="NL", type=country, help="ISO 3166-1 alpha-2 code; default region of phone numbers"
    )
    merchant.add_argument("--locale", default="en", choices=["en", "fr", "nl"], help="language of the merchant's pages")
    merchant.add_argument(
        "--time-zone", default="Europe/Amsterdam", type=time_zone, help="IANA time zone of the first site"
    )
    merchant.add_argument("--currency", default="EUR", type=currency, help="ISO 4217 currency of the first site")
    merchant.add_argument("--accept-terms", action="store_true", help="record the terms as accepted now")
    merchant.set_defaults(run=create_merchant)

    key = commands.add_parser("create-key", help="an API key for a role, optionally limited to sites")
    key.add_argument("--merchant-id", required=True, help="the merchant (mer_…)")
    key.add_argument("--role", required=True, choices=["owner", "manager", "staff"], help="what the key may do")
    key.add_argument("--site-id", action="append", help="limit the key to this site (repeat for several)")
    key.add_argument("--name", help="a label to recognise the key by (e.g. till 2)")
    key.set_defaults(run=create_key)

    legacy = commands.add_parser("migrate-legacy", help="customers saved by an earlier system, from a CSV")
    legacy.add_argument("--merchant-id", required=True, help="the merchant (mer_…)")
    legacy.add_argument(
        "--csv",
        required=True,
        type=readable_file,
        help=f"UTF-8 CSV with a header; columns: {', '.join(LEGACY_COLUMNS)}",
    )
    legacy.set_defaults(run=migrate_legacy)

    backfill = commands.add_parser(
        "backfill-directory", help="directory entries for customers created before the directory (idempotent)"
    )
    backfill.add_argument("--merchant-id", required=True, help="the merchant (mer_…)")
    backfill.set_defaults(run=backfill_directory)

    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    from clientele.kernel.errors import DomainError

    try:
        if args.stack:
            _use_deployed(args.stack, args.region)
        else:
            _use_local(args.region)
        result = args.run(args)
    except DomainError as error:
        print(
            json.dumps({"errors": [{"code": d.code, "detail": d.detail, "field": d.field} for d in error.details]}),
            file=sys.stderr,
        )
        return 1
    except AdminError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except NoCredentialsError:
        print("error: no AWS credentials: configure them (aws configure, AWS_PROFILE or environment)", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as error:
        print(f"error: AWS refused the operation: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # the operator gets a line, never a traceback
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
