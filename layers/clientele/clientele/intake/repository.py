"""Intake forms (in the merchant's partition), and each customer's intake requests and submissions (in the
customer's partition, so erasing the customer sweeps them with the profile)."""

from __future__ import annotations

from clientele.intake import keys
from clientele.intake.model import IntakeForm, IntakeRequest, Submission
from clientele.kernel.errors import NotFound, VersionMismatch
from clientele.storage.partitions import customer_pk, merchant_pk
from clientele.storage.table import ConditionFailed, Item, Table, TransactionCancelled, fields_of

MAX_FORMS = 200  # a merchant's forms, archived ones included
MAX_SUBMISSIONS = 500  # a customer's submissions read at once (a form filled every visit for years)


class RequestUsed(Exception):
    """The intake request was used meanwhile: its link works once."""


class IntakeRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    # Forms ----------------------------------------------------------------------------------------
    def _form_item(self, merchant_id: str, form: IntakeForm) -> Item:
        return {
            "PK": merchant_pk(merchant_id),
            "SK": keys.form_sk(form.id),
            "entity": "intake_form",
            **form.model_dump(mode="json"),
        }

    def add_form(self, merchant_id: str, form: IntakeForm) -> None:
        self.table.put(self._form_item(merchant_id, form), condition="attribute_not_exists(PK)")

    def replace_form(self, merchant_id: str, form: IntakeForm, *, updated_at: str) -> None:
        """Save an edit, if nobody saved one since ``form`` was read (its ``updated_at`` is still stored)."""
        try:
            self.table.put(
                self._form_item(merchant_id, form),
                condition="attribute_exists(PK) AND updated_at = :read",
                vals={":read": updated_at},
            )
        except ConditionFailed as exc:
            raise VersionMismatch("The form changed meanwhile; read it again.", field="id") from exc

    def get_form(self, merchant_id: str, form_id: str, *, consistent: bool = False) -> IntakeForm:
        item = self.table.get(merchant_pk(merchant_id), keys.form_sk(form_id), consistent=consistent)
        if not item:
            raise NotFound("No such intake form.", field="id")
        return IntakeForm.model_validate(fields_of(item))

    def forms(self, merchant_id: str) -> list[IntakeForm]:
        items, _ = self.table.query(
            partition=("PK", merchant_pk(merchant_id)), begins_with=("SK", keys.FORM_PREFIX), limit=MAX_FORMS
        )
        return [IntakeForm.model_validate(fields_of(i)) for i in items]

    # Requests and submissions ---------------------------------------------------------------------
    def add_request(self, merchant_id: str, request: IntakeRequest) -> None:
        item = {
            "PK": customer_pk(merchant_id, request.customer_id),
            "SK": keys.request_sk(request.id),
            "entity": "intake_request",
            **request.model_dump(mode="json"),
        }
        self.table.put(item, condition="attribute_not_exists(PK)")

    def get_request(self, merchant_id: str, customer_id: str, request_id: str) -> IntakeRequest | None:
        item = self.table.get(customer_pk(merchant_id, customer_id), keys.request_sk(request_id), consistent=True)
        # The partition says whose it is: a merge moves a customer's items into the survivor's partition as they are.
        return IntakeRequest.model_validate({**fields_of(item), "customer_id": customer_id}) if item else None

    def submit(self, merchant_id: str, request: IntakeRequest, submission: Submission) -> None:
        """The answers and the request's closing, at once: a request answers once (:class:`RequestUsed`)."""
        pk = customer_pk(merchant_id, request.customer_id)
        tx = self.table.transaction()
        tx.update(
            "request",
            pk,
            keys.request_sk(request.id),
            "SET used_at = :now, submission_id = :sub",
            condition="attribute_exists(PK) AND attribute_not_exists(used_at)",
            vals={":now": submission.submitted_at, ":sub": submission.id},
        )
        tx.put(
            "submission",
            {
                "PK": pk,
                "SK": keys.submission_sk(submission.id),
                "entity": "intake_submission",
                **submission.model_dump(mode="json"),
            },
            condition="attribute_not_exists(PK)",
        )
        try:
            tx.commit()
        except TransactionCancelled as exc:
            raise RequestUsed() from exc

    def submissions(self, merchant_id: str, customer_id: str) -> list[Submission]:
        """A customer's submissions, newest first."""
        items, _ = self.table.query(
            partition=("PK", customer_pk(merchant_id, customer_id)),
            begins_with=("SK", keys.SUBMISSION_PREFIX),
            limit=MAX_SUBMISSIONS,
            forward=False,
        )
        return [Submission.model_validate({**fields_of(i), "customer_id": customer_id}) for i in items]
