"""Domain errors. The API edge maps each to the spec's error shape in one place."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ErrorDetail:
    code: str
    detail: str
    field: str | None = None
    merged_into: str | None = None  # a merged customer's survivor (NotFound of a merged-away id)


class DomainError(Exception):
    status = 400
    code = "BAD_REQUEST"

    def __init__(self, detail: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(detail)
        self.details = [ErrorDetail(code or self.code, detail, field)]


class BadRequest(DomainError):
    status = 400
    code = "BAD_REQUEST"


class Unauthorized(DomainError):
    status = 401
    code = "UNAUTHORIZED"


class Forbidden(DomainError):
    status = 403
    code = "FORBIDDEN"


class TermsNotAccepted(DomainError):
    status = 403
    code = "TERMS_NOT_ACCEPTED"


class NotFound(DomainError):
    status = 404
    code = "NOT_FOUND"


class MergedAway(NotFound):
    """The customer was merged into another profile: a 404 that points at the survivor."""

    code = "CUSTOMER_MERGED"

    def __init__(self, detail: str, *, merged_into: str, field: str | None = "id") -> None:
        super().__init__(detail, field=field)
        self.merged_into = merged_into
        self.details[0].merged_into = merged_into


class Conflict(DomainError):
    status = 409
    code = "CONFLICT"


class VersionMismatch(Conflict):
    code = "VERSION_MISMATCH"


class AlreadyExists(Conflict):
    """A unique value (email, phone) already belongs to another record."""

    code = "ALREADY_EXISTS"

    def __init__(
        self, detail: str, *, field: str | None = None, existing_id: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(detail, field=field, code=code)
        self.existing_id = existing_id


class ValidationFailed(DomainError):
    status = 422
    code = "VALIDATION_ERROR"


@dataclass
class InvalidFields(Exception):
    """Several field errors at once (422)."""

    details: list[ErrorDetail] = field(default_factory=list)
    status: int = 422


class RateLimited(DomainError):
    status = 429
    code = "RATE_LIMITED"
