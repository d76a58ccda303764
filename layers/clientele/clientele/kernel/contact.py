"""Normalising and validating contact details.

``email-validator`` and ``phonenumbers`` are imported where used: they are not needed by
functions that never parse contact details, and importing them costs cold-start time.
"""

from __future__ import annotations

from enum import StrEnum

from clientele.kernel.crypto import keyed_hash
from clientele.kernel.errors import ValidationFailed


def normalise_email(raw: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed("This is not a valid email address.", field="email", code="INVALID_EMAIL") from exc
    # The domain part is case-insensitive; the local part is kept as typed but compared lower-cased.
    return result.normalized


def email_key(normalised: str) -> str:
    return normalised.lower()


def normalise_phone(raw: str, default_region: str) -> str:
    """E.164, with the merchant's country as the region for numbers typed without a prefix."""
    import phonenumbers

    try:
        number = phonenumbers.parse(raw.strip(), default_region.upper())
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed("This is not a valid phone number.", field="phone", code="INVALID_PHONE") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed("This is not a valid phone number.", field="phone", code="INVALID_PHONE")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_hash(secret: bytes, normalised_email: str) -> str:
    return keyed_hash(secret, "email", email_key(normalised_email))


def phone_hash(secret: bytes, e164: str) -> str:
    return keyed_hash(secret, "phone", e164)


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
