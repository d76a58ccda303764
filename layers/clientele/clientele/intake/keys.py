"""Key layouts of intake forms, intake requests and submissions (docs/data-model.md, "Intake forms")."""

from __future__ import annotations

FORM_PREFIX = "INTAKE_FORM#"  # in the merchant's partition


def form_sk(form_id: str) -> str:
    return f"{FORM_PREFIX}{form_id}"


def request_sk(request_id: str) -> str:
    return f"INTAKE_REQUEST#{request_id}"  # in the customer's partition: erased with the profile


SUBMISSION_PREFIX = "INTAKE#"  # in the customer's partition; ids sort by time


def submission_sk(submission_id: str) -> str:
    return f"{SUBMISSION_PREFIX}{submission_id}"
