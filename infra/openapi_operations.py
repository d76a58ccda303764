"""What the OpenAPI document tells about each operation beyond what its route declares: the one place of it.

How an operation is described (``infra/openapi.py`` puts it together; docs/openapi.md tells the story):

* **summary** and **description**: the route's own ``summary=`` and ``description=`` (in ``functions/*/app.py``),
  else its entry's ``description`` here, else the handler's docstring. Every operation needs one of the three
  (a test fails otherwise): a new route can simply say ``description="..."`` where it is declared.
* **error codes**: every error response lists the codes it can carry. The common ones are worked out from the
  route (a cursor parameter gives ``INVALID_CURSOR``, a ``version`` in the body ``VERSION_MISMATCH``, each
  validated field its own 422 codes, ``idempotent_post`` its key codes...); ``errors`` here adds what only the
  service knows (``PHONE_TAKEN`` on a customer's creation), by status. A code needs its wording in ``CODES``.
* **examples**: ``request`` and ``response`` here, else built from the schemas (:mod:`infra.openapi_examples`).
* the ``Idempotency-Key`` header and the ``Location`` / ``Idempotent-Replayed`` response headers are found in
  the handler's code (``idempotent_post`` or a read of the header; a ``Location`` header it sets).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.openapi_examples import an_id


@dataclass(frozen=True)
class Doc:
    description: str = ""
    errors: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    request: Any = None
    response: Any = None


CUSTOMER = an_id("cus")
SALE = an_id("sale")
SITE = an_id("site")
EUR_1250 = {"amount": 1250, "currency": "EUR"}

# The wording of every error code an operation lists (the 422 field codes come from clientele/http/errors.py).
CODES: dict[str, tuple[str, str | None]] = {
    "BAD_REQUEST": ("The request cannot be understood.", None),
    "MALFORMED_BODY": ("The request body is not UTF-8.", None),
    "MALFORMED_JSON": ("The request body is not valid JSON.", "body"),
    "JSON_TOO_DEEP": ("The body nests deeper than 32 levels.", None),
    "NUMBER_TOO_LARGE": ("A number in the body has more than 40 characters.", None),
    "INVALID_CURSOR": ("The cursor is not valid for this list.", "cursor"),
    "REPEATED_PARAMETER": ("limit is given more than once: give it once.", "limit"),
    "UNKNOWN_PARAMETER": ("Unknown query parameter: colour.", "colour"),
    "INVALID_PARAMETER": ("limit must be a whole number from 1 to 100.", "limit"),
    "QUERY_TOO_LONG": ("q is longer than 200 characters.", "q"),
    "UNKNOWN_ATTRIBUTE": ("No custom attribute shoe_size.", "attribute.shoe_size"),
    "NOT_FILTERABLE": ("attribute.notes: only boolean and select attributes filter the list.", "attribute.notes"),
    "INVALID_IDEMPOTENCY_KEY": (
        "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces.",
        "Idempotency-Key",
    ),
    "UNAUTHORIZED": ("A valid API key is required: Authorization: Bearer <api_key>.", None),
    "FORBIDDEN": ("This API key's role (staff) lacks the permission settings:manage.", None),
    "TERMS_NOT_ACCEPTED": ("Accept the customer-list terms first: POST /v1/terms/accept.", None),
    "NOT_FOUND": ("No such customer.", "id"),
    "CUSTOMER_MERGED": ("This customer was merged into another.", "id"),
    "NO_PHOTO": ("This customer has no photo.", "photo"),
    "NO_LOYALTY_PROGRAM": ("This merchant has no loyalty program yet.", None),
    "NOT_ENROLLED": ("This customer has no loyalty account.", "id"),
    "CONFLICT": ("The request conflicts with the resource's state.", None),
    "VERSION_MISMATCH": ("The record changed since it was read; read it again.", "version"),
    "IDEMPOTENCY_KEY_IN_USE": (
        "A request with this Idempotency-Key is still in progress; retry shortly.",
        "Idempotency-Key",
    ),
    "IDEMPOTENCY_KEY_REUSED": ("This Idempotency-Key was used with a different request body.", "Idempotency-Key"),
    "EMAIL_TAKEN": ("Another customer has this email address.", "email"),
    "PHONE_TAKEN": ("Another customer has this phone number.", "phone"),
    "ATTRIBUTE_EXISTS": ("A custom attribute with this key exists.", "key"),
    "ALREADY_ENROLLED": ("This customer is already enrolled.", "id"),
    "BUSY": ("Too many concurrent changes to this account; retry the request.", None),
    "IMPORT_STARTED": ("This import is running; it cannot start again.", "id"),
    "MERGE_IN_PROGRESS": ("One of these customers is being merged; retry shortly.", "id"),
    "MERGE_RETRY": ("A sale was recorded meanwhile; retry the merge.", None),
    "NUMBER_TAKEN": ("Another membership of this merchant has this number.", "number"),
    "MANDATE_REQUEST_OPEN": ("A mandate request is open; send it again with resend.", "resend"),
    "TERMS_VERSION_MISMATCH": ("The current terms are version 2026-01.", "version"),
    "PAYLOAD_TOO_LARGE": ("The request body exceeds 262144 bytes.", None),
    "UNSUPPORTED_MEDIA_TYPE": ("Send JSON with Content-Type: application/json.", None),
    "CUSTOMER_WITHOUT_DETAILS": (
        "A customer needs at least a name, an email address or a phone number.",
        "given_name",
    ),
    "UNKNOWN_LABEL": ("Unknown label: label_01jq8m4k2v9x7c3h5t6n0pw8ry.", "labels"),
    "UNKNOWN_PREFERENCE": ("Unknown marketing preference: pref_01jq8m4k2v9x7c3h5t6n0pw8ry.", "marketing"),
    "UNKNOWN_SITE": ("No such site.", "site_id"),
    "INVALID_ATTRIBUTE": ("shoe_size must be a number.", "attributes.shoe_size"),
    "TOO_MANY_ATTRIBUTES": ("At most 50 custom attributes.", "key"),
    "OPTION_REMOVED": ("Options can be added, not removed: large.", "options"),
    "INVALID_OPTIONS": ("A select needs distinct options.", "options"),
    "INVALID_REFUND": ("Only a refund or an exchange gives money back for an earlier sale.", "refund_of"),
    "TOTAL_MISMATCH": (
        "The sale's total is the sum of its lines, plus the taxes that are not included in them.",
        "total.amount",
    ),
    "LINE_TOTAL_MISMATCH": ("A line's total is its quantity times its unit price.", "lines.0.total"),
    "INVALID_AMOUNT": ("A purchase or refund total is not negative; a refund's type says it is money back.", "total"),
    "CURRENCY_MISMATCH": ("This site takes EUR.", "total.currency"),
    "CARD_NUMBER_NOT_ALLOWED": (
        "This looks like a full card number. Send the card's fingerprint, brand and last four digits only.",
        "card.fingerprint",
    ),
    "SALE_WITHOUT_CUSTOMER": ("This sale has no customer to send a receipt to.", "id"),
    "CUSTOMER_WITHOUT_PHONE": ("This sale's customer has no phone number.", "channel"),
    "CUSTOMER_WITHOUT_EMAIL": ("This customer has no email address.", "channel"),
    "CUSTOMER_EMAIL_SUPPRESSED": (
        "This customer's email address bounced or was reported as spam, so it is no longer mailed.",
        "channel",
    ),
    "KIOSK_WITH_SALE": ("A kiosk link serves every shopper: it takes no sale_id.", "sale_id"),
    "INVALID_PERIOD": ("`to` is before `from`.", "to"),
    "PERIOD_TOO_LONG": ("A period is at most 366 days.", "to"),
    "PERIOD_INCOMPLETE": ("Give `from` with `to`.", "from"),
    "INVALID_TYPE": ("type is purchase, refund or exchange.", "type"),
    "INSUFFICIENT_POINTS": ("The balance is 20 points; this takes 25.", "points"),
    "INVALID_POINTS": ("Points are a whole number other than 0.", "points"),
    "UNKNOWN_REWARD": ("The program has no such reward.", "reward_id"),
    "DUPLICATE_REWARD": ("Two rewards have the same id.", "rewards.1.id"),
    "TYPE_ARCHIVED": ("This membership type is archived.", "type_id"),
    "END_BEFORE_START": ("The end date is before the start date.", "end_date"),
    "MEMBERSHIP_ENDED": ("This membership is cancelled: it takes no payment.", "id"),
    "UNKNOWN_PAYMENT_TYPE": ("Unknown payment type; the settings allow: cash, card.", "payment_type"),
    "NOTHING_DUE": ("Nothing is due on this membership.", "id"),
    "AMOUNT_MISMATCH": ("A payment settles one charge: its amount is the rate.", "amount"),
    "MANDATE_NOT_NEEDED": ("This membership is not paid by direct debit.", "id"),
    "SEPA_NOT_SET_UP": ("Set the creditor id, name and IBAN in the membership settings first.", None),
    "INVALID_CREDITOR_ID": ("This is not a valid SEPA creditor identifier.", "creditor_id"),
    "UNKNOWN_DEBIT": ("No debit of this batch has this end-to-end id.", "end_to_end_id"),
    "SAME_CUSTOMER": ("A customer cannot be merged into themselves.", "source_customer_id"),
    "NO_FILE": ("Upload the file first, with the form given.", "id"),
    "FILTERS_WITH_PREFERENCE": ("An export of a preference's opted-in emails takes no filters.", "filters"),
    "INVALID_FORMAT": ("format is csv or xlsx.", "format"),
    "RATE_LIMITED": ("This API key sent too many requests; try again in 12 seconds.", None),
}

SALE_EXAMPLE = {
    "type": "purchase",
    "customer_id": CUSTOMER,
    "site_id": SITE,
    "lines": [
        {
            "description": "Croissant",
            "quantity": 2,
            "unit_price": {"amount": 225, "currency": "EUR"},
            "total": {"amount": 450, "currency": "EUR"},
        },
        {
            "description": "Sourdough loaf",
            "quantity": 1,
            "unit_price": {"amount": 800, "currency": "EUR"},
            "total": {"amount": 800, "currency": "EUR"},
        },
    ],
    "taxes": [{"name": "BTW", "rate": "9%", "amount": {"amount": 103, "currency": "EUR"}, "included": True}],
    "total": EUR_1250,
    "payment_method": "card",
    "card": {"fingerprint": "fp_9f8e7d6c5b4a", "brand": "visa", "last4": "4242"},
}

OPERATIONS: dict[str, Doc] = {
    # --- account: terms, settings, sites, keys, labels, preferences, custom attributes ---
    "GET /v1/terms": Doc(
        "The customer-list terms in force (their version and text) and whether, when and by which key this "
        "merchant accepted them. Every other customer operation answers 403 `TERMS_NOT_ACCEPTED` until then."
    ),
    "POST /v1/terms/accept": Doc(
        "Accept the current terms by their `version` (read with `GET /v1/terms`): 201 the first time, 200 when "
        "they were already accepted. An older version is 409.",
        errors={409: ("TERMS_VERSION_MISMATCH",)},
        request={"version": "2026-01"},
    ),
    "GET /v1/settings": Doc(
        "The business name, contact email, country, language and privacy-policy URL shown to shoppers, with the "
        "`version` to send back when changing them."
    ),
    "PATCH /v1/settings": Doc(
        "Change only the fields sent. Send the `version` you read: a stale one is 409 `VERSION_MISMATCH`, so two "
        "people never overwrite each other.",
        request={"version": 3, "privacy_policy_url": "https://bakkerij-jansen.example/privacy", "locale": "nl"},
    ),
    "GET /v1/sites": Doc(
        "Every site (shop) of the merchant this key may see: its name, address, country, time zone and currency. "
        "A site-limited key sees only its own sites."
    ),
    "POST /v1/sites": Doc(
        "A shop with its own address, time zone and currency. Sales and memberships are recorded at a site; the "
        "receipt shows its name and address.",
        request={
            "name": "Bakkerij Jansen Jordaan",
            "address": "Prinsengracht 263, 1016 GV Amsterdam",
            "country": "NL",
            "time_zone": "Europe/Amsterdam",
            "currency": "EUR",
        },
    ),
    "PATCH /v1/sites/{id}": Doc(
        "Change a site's name, address, country, time zone or currency; only the fields sent change.",
        request={"address": "Haarlemmerstraat 12, 1013 ER Amsterdam"},
    ),
    "GET /v1/api-keys": Doc("Every API key of the merchant: its name, role, sites and when it was made or revoked."),
    "POST /v1/api-keys": Doc(
        "A new key for a role (`owner`, `manager`, `staff`), optionally limited to some sites. The secret is in "
        "this answer only: store it now.",
        errors={422: ("UNKNOWN_SITE",)},
        request={"role": "staff", "name": "Till 2, Jordaan", "site_ids": [SITE]},
    ),
    "DELETE /v1/api-keys/{id}": Doc("The key stops working at once; its record stays for the audit trail."),
    "GET /v1/labels": Doc("Every label the merchant defined, with how many customers carry it."),
    "POST /v1/labels": Doc(
        "A label (e.g. `Wholesale`, `VIP`) to put on customers and filter the list by.",
        request={"name": "Wholesale"},
    ),
    "PATCH /v1/labels/{id}": Doc("The new name shows on every customer that has the label.", request={"name": "VIP"}),
    "DELETE /v1/labels/{id}": Doc("The label goes, and is taken off every customer that had it."),
    "GET /v1/marketing-preferences": Doc(
        "The marketing preferences shoppers may opt into (per channel, with their wording in en, fr and nl)."
    ),
    "POST /v1/marketing-preferences": Doc(
        "A preference shoppers can opt into on the signup and preferences pages, worded per language.",
        request={
            "name": "Nieuwsbrief",
            "channel": "email",
            "description": "Seizoensbrood en proeverijen, hooguit twee keer per maand.",
            "wording": {
                "en": {"name": "Newsletter", "description": "Seasonal bread and tastings, at most twice a month."},
                "fr": {"name": "Lettre d'information", "description": "Pains de saison, deux fois par mois au plus."},
                "nl": {
                    "name": "Nieuwsbrief",
                    "description": "Seizoensbrood en proeverijen, hooguit twee keer per maand.",
                },
            },
        },
    ),
    "PATCH /v1/marketing-preferences/{id}": Doc(
        "Only the fields sent change; a language sent as null falls back to `name`. Customers' opt-ins stay.",
        request={"wording": {"fr": {"name": "Lettre d'information"}}},
    ),
    "GET /v1/custom-attributes": Doc("The custom fields defined for customers, with their type and options."),
    "POST /v1/custom-attributes": Doc(
        "A custom field customers can hold (text, number, date, boolean, or a select with options). Boolean and "
        "select attributes filter the list as `attribute.{key}`.",
        errors={409: ("ATTRIBUTE_EXISTS",), 422: ("TOO_MANY_ATTRIBUTES", "INVALID_OPTIONS")},
        request={"key": "bread_day", "name": "Usual bread day", "type": "select", "options": ["friday", "saturday"]},
    ),
    "PATCH /v1/custom-attributes/{key}": Doc(
        "Rename it, or add options to a select (options are never removed, so no customer's value dangles).",
        errors={422: ("OPTION_REMOVED", "INVALID_OPTIONS")},
        request={"options": ["friday", "saturday", "sunday"]},
    ),
    # --- customers ---
    "POST /v1/customers": Doc(
        "Add a customer with at least a name, an email or a phone. Email and phone are unique per merchant (409 "
        "`EMAIL_TAKEN` / `PHONE_TAKEN`, naming the holder); a phone is stored in E.164 from any formatting, read "
        "in the merchant's country. The answer lists likely duplicates and has a `Location` header.",
        errors={
            409: ("EMAIL_TAKEN", "PHONE_TAKEN"),
            422: ("CUSTOMER_WITHOUT_DETAILS", "UNKNOWN_LABEL", "UNKNOWN_PREFERENCE", "INVALID_ATTRIBUTE"),
            400: ("UNKNOWN_ATTRIBUTE",),
        },
        request={
            "given_name": "Ada",
            "family_name": "Jansen",
            "email": "ada.jansen@example.com",
            "phone": "06 12345678",
            "locale": "nl",
            "birthday": "1990-05-14",
        },
    ),
    "GET /v1/customers/{id}": Doc(
        "The customer's profile. A key without `customers:contact` sees no email, phone or address. A customer "
        "merged into another is 404 `CUSTOMER_MERGED` with `merged_into`."
    ),
    "PATCH /v1/customers/{id}": Doc(
        "Change only the fields sent (null clears one), with the `version` read: a stale one is 409. Changing "
        "email, phone or addresses needs `customers:contact`. Every change is audited.",
        errors={
            409: ("EMAIL_TAKEN", "PHONE_TAKEN"),
            422: ("CUSTOMER_WITHOUT_DETAILS", "UNKNOWN_LABEL", "UNKNOWN_PREFERENCE", "INVALID_ATTRIBUTE"),
        },
        request={"version": 3, "phone": "+31 6 87654321", "attributes": {"bread_day": "saturday"}},
    ),
    "DELETE /v1/customers/{id}": Doc(
        "Erase the customer (the right to erasure): their profile, notes, photo, consents and contact details "
        "go at once; their sales stay, anonymised, so the books still add up."
    ),
    "PUT /v1/customers/{id}/labels/{label_id}": Doc("Idempotent: putting a label twice changes nothing."),
    "DELETE /v1/customers/{id}/labels/{label_id}": Doc("Idempotent: taking off a label the customer lacks is fine."),
    "GET /v1/customers/{id}/notes": Doc("The staff's notes on a customer, newest first, page by page."),
    "POST /v1/customers/{id}/notes": Doc(
        "A free-text note for the staff (never shown to the customer; erased with them).",
        request={"text": "Prefers oat milk; allergic to nuts."},
    ),
    "DELETE /v1/customers/{id}/notes/{note_id}": Doc("The note is gone for good."),
    "GET /v1/customers/{id}/audit": Doc(
        "Who (which key) changed which fields of the customer and when, newest first; never the values."
    ),
    "GET /v1/customers/{id}/photo": Doc(
        "A presigned link to the photo, valid 5 minutes.", errors={404: ("NOT_FOUND", "NO_PHOTO")}
    ),
    "DELETE /v1/customers/{id}/photo": Doc(
        "The photo is deleted from storage.", errors={404: ("NOT_FOUND", "NO_PHOTO")}
    ),
    "POST /v1/customers/{id}/photo": Doc(request={"content_type": "image/jpeg"}),
    "GET /v1/customers/duplicates": Doc(
        "Pairs of customers that are likely one person, with the reasons (same email, same phone, similar "
        "names), to review and merge."
    ),
    "POST /v1/customers/{id}/merge": Doc(
        errors={409: ("MERGE_IN_PROGRESS", "MERGE_RETRY"), 422: ("SAME_CUSTOMER",)},
        request={"source_customer_id": an_id("cus").replace("01jq", "02jq")},
    ),
    "GET /v1/customers": Doc(
        errors={
            400: ("UNKNOWN_PARAMETER", "INVALID_PARAMETER", "QUERY_TOO_LONG", "UNKNOWN_ATTRIBUTE", "NOT_FILTERABLE")
        }
    ),
    # --- exports and imports ---
    "GET /v1/customer-exports": Doc(
        "The owner's view of who took the customer list out: every export of the last 30 days, its key, "
        "filters and row count."
    ),
    "POST /v1/customer-exports": Doc(
        errors={422: ("FILTERS_WITH_PREFERENCE", "INVALID_FORMAT")},
        request={"format": "csv", "filters": {"label": an_id("label")}},
    ),
    "GET /v1/customer-exports/{id}": Doc(
        "`queued`, `running`, `done` or `failed`; once done, a presigned download link valid for a few minutes."
    ),
    "POST /v1/customer-imports": Doc(request={}),
    "GET /v1/customer-imports/{id}": Doc(
        "The import's status, its counts (created, updated, rejected) and the rows rejected with their reason."
    ),
    "POST /v1/customer-imports/{id}/start": Doc(
        "Start the uploaded file: `dry_run: true` checks every row and reports, changing nothing; `false` imports "
        "it. Both run in the background: poll `GET /v1/customer-imports/{id}`.",
        errors={409: ("IMPORT_STARTED",), 422: ("NO_FILE",)},
        request={"dry_run": True},
    ),
    # --- groups ---
    "GET /v1/groups": Doc(
        "Every group with its member count and, for a smart group, its criteria in plain words (`locale`)."
    ),
    "POST /v1/groups": Doc(
        "A smart group is filled by a background job from its criteria (all must hold) and kept up to date as "
        "sales and changes come in; a manual group holds whom you put in it.",
        request={"name": "Regulars of the Jordaan", "kind": "smart", "criteria": {"site_id": SITE}},
    ),
    "GET /v1/groups/{id}": Doc("The group, its member count and its criteria in plain words (`locale`)."),
    "PATCH /v1/groups/{id}": Doc(
        "A new name shows at once; a new rule is applied by a background job, whose id the answer gives.",
        request={"name": "Weekend regulars"},
    ),
    "DELETE /v1/groups/{id}": Doc("The group goes at once; a job takes its members off in the background."),
    "GET /v1/groups/{id}/customers": Doc("The customer ids in the group and since when, page by page."),
    "PUT /v1/groups/{id}/customers/{customer_id}": Doc("Only a manual group takes members by hand; idempotent."),
    "DELETE /v1/groups/{id}/customers/{customer_id}": Doc("Only a manual group loses members by hand; idempotent."),
    "GET /v1/groups/{id}/jobs/{job_id}": Doc(
        "Progress of the job that fills or re-evaluates a group: processed of total, then the exact counts."
    ),
    "GET /v1/customers/{id}/groups": Doc(
        "Each group the customer is in, why (the facts that matched) and the day they leave it unless something "
        "changes (e.g. a Regular who stops visiting)."
    ),
    # --- insights ---
    "GET /v1/insights": Doc(
        "Counts for a site and period (site time): customers, new customers, sales linked to a customer and "
        "returning customers. Without a period: all time.",
        errors={422: ("INVALID_PERIOD", "PERIOD_TOO_LONG", "PERIOD_INCOMPLETE", "UNKNOWN_SITE")},
    ),
    "GET /v1/customers/{id}/insights": Doc(
        "The customer's total spent (per currency), purchases, refunds, first and last visit."
    ),
    "GET /v1/customers/{id}/activity": Doc(
        "The customer's sales as receipts, newest first by default.", errors={422: ("INVALID_TYPE",)}
    ),
    # --- loyalty ---
    "GET /v1/loyalty/program": Doc(
        "How points are earned (per visit or per amount), the rewards they buy, expiry and whether balances may "
        "go negative.",
        errors={404: ("NO_LOYALTY_PROGRAM",)},
    ),
    "PUT /v1/loyalty/program": Doc(
        errors={422: ("DUPLICATE_REWARD",)},
        request={
            "accrual": "per_amount",
            "unit_amount": 100,
            "points_per_unit": 1,
            "expiry_months": 24,
            "rewards": [{"name": {"en": "Free coffee", "fr": "Café offert", "nl": "Gratis koffie"}, "points": 50}],
        },
    ),
    "GET /v1/loyalty/accounts": Doc(
        "The loyalty account of the phone given (any formatting), as the till looks it up.",
        errors={404: ("NOT_FOUND",)},
    ),
    "GET /v1/customers/{id}/loyalty": Doc(
        "The account's balance, points earned and redeemed in all, its phone, and the rewards the balance buys now.",
        errors={404: ("NOT_FOUND", "NOT_ENROLLED")},
    ),
    "POST /v1/customers/{id}/loyalty": Doc(
        errors={409: ("ALREADY_ENROLLED", "PHONE_TAKEN"), 404: ("NOT_FOUND", "NO_LOYALTY_PROGRAM")},
        request={"phone": "06 12345678"},
    ),
    "PATCH /v1/customers/{id}/loyalty": Doc(
        "Move the account to another phone (a lost or changed number): the balance stays, the ledger notes it.",
        errors={409: ("PHONE_TAKEN", "BUSY"), 404: ("NOT_FOUND", "NOT_ENROLLED")},
        request={"phone": "+31 6 87654321"},
    ),
    "GET /v1/customers/{id}/loyalty/events": Doc(
        "Every change of the balance (earned, redeemed, adjusted, expired) and of the phone, newest first.",
        errors={404: ("NOT_FOUND", "NOT_ENROLLED")},
    ),
    "POST /v1/customers/{id}/loyalty/adjustments": Doc(
        errors={409: ("BUSY",), 422: ("INSUFFICIENT_POINTS", "INVALID_POINTS"), 404: ("NOT_FOUND", "NOT_ENROLLED")},
        request={"points": 25, "reason": "Goodwill gesture after a late order"},
    ),
    "POST /v1/customers/{id}/loyalty/redemptions": Doc(
        errors={409: ("BUSY",), 422: ("INSUFFICIENT_POINTS", "UNKNOWN_REWARD"), 404: ("NOT_FOUND", "NOT_ENROLLED")},
        request={"reward_id": an_id("rwd")},
    ),
    # --- memberships ---
    "GET /v1/membership-types": Doc("The membership types offered (`archived=true` lists the archived ones)."),
    "POST /v1/membership-types": Doc(
        "A kind of membership customers can be enrolled in: its name, rate per billing period (in a currency one of "
        "the merchant's sites takes) and, optionally, a fixed length.",
        errors={422: ("CURRENCY_MISMATCH",)},
        request={"name": "Bread club", "rate": {"amount": 2500, "currency": "EUR"}, "billing_period": "monthly"},
    ),
    "PATCH /v1/membership-types/{id}": Doc(
        "A new rate applies to new enrolments; existing members keep theirs. An archived type takes no new members.",
        errors={422: ("CURRENCY_MISMATCH",)},
        request={"rate": {"amount": 2750, "currency": "EUR"}},
    ),
    "GET /v1/membership-settings": Doc(
        "The payment types the desk accepts, the grace days before a missed payment counts, the notice days "
        "before a membership ends, and the SEPA creditor details."
    ),
    "PATCH /v1/membership-settings": Doc(
        "Only the fields sent change; send the `version` read.",
        errors={422: ("INVALID_CREDITOR_ID",)},
        request={
            "version": 2,
            "grace_days": 7,
            "creditor_id": "NL98ZZZ999999999999",
            "creditor_name": "Bakkerij Jansen",
        },
    ),
    "POST /v1/membership-exports": Doc(
        "A CSV or Excel file of the memberships matching the filters, with a download link.",
        request={"format": "xlsx", "status": "active"},
    ),
    "GET /v1/membership-exports/{id}": Doc("The export and a fresh presigned download link."),
    "GET /v1/direct-debit-batches": Doc(
        "The SEPA direct-debit files the dues run made (pain.008.001.08), newest collection date first."
    ),
    "GET /v1/direct-debit-batches/{id}": Doc(
        "A collection file: its totals, count, debits and a presigned link to the XML to upload to the bank."
    ),
    "POST /v1/direct-debit-batches/{id}/returns": Doc(
        errors={422: ("UNKNOWN_DEBIT",)}, request={"end_to_end_id": "MBR-2026-0001", "reason_code": "AM04"}
    ),
    "GET /v1/customers/{id}/memberships": Doc("The customer's memberships, newest first, page by page."),
    "POST /v1/customers/{id}/memberships": Doc(
        errors={
            409: ("NUMBER_TAKEN",),
            422: ("TYPE_ARCHIVED", "CURRENCY_MISMATCH", "END_BEFORE_START", "UNKNOWN_SITE"),
        },
        request={"type_id": an_id("mtype"), "payment_method": "manual", "start_date": "2026-04-01"},
    ),
    "GET /v1/memberships/{id}": Doc(
        "The membership with its flags (needs attention, payment failed), next billing date, mandate and recent "
        "charges."
    ),
    "PATCH /v1/memberships/{id}": Doc(
        "Only the fields sent change; send the `version` read.",
        errors={422: ("TYPE_ARCHIVED", "CURRENCY_MISMATCH", "END_BEFORE_START")},
        request={"version": 4, "end_date": "2026-12-31"},
    ),
    "POST /v1/memberships/{id}/cancel": Doc(
        "Cancel at once, or at the end of the period already paid (`at_period_end`); the reason is kept.",
        request={"reason": "Moving abroad", "at_period_end": True},
    ),
    "POST /v1/memberships/{id}/mandate-requests": Doc(
        errors={
            409: ("MANDATE_REQUEST_OPEN",),
            422: ("MANDATE_NOT_NEEDED", "CUSTOMER_WITHOUT_EMAIL", "SEPA_NOT_SET_UP"),
        },
        request={"resend": False},
    ),
    "POST /v1/memberships/{id}/payments": Doc(
        errors={422: ("MEMBERSHIP_ENDED", "UNKNOWN_PAYMENT_TYPE", "NOTHING_DUE", "AMOUNT_MISMATCH")},
        request={"payment_type": "cash", "amount": {"amount": 2500, "currency": "EUR"}},
    ),
    "GET /v1/memberships": Doc(errors={422: ("UNKNOWN_SITE",)}),
    "GET /v1/memberships/summary": Doc(),
    # --- sales and receipts ---
    "GET /v1/sales": Doc(
        "Sales newest first: all of them, a customer's, or those paid with a card ending in `card_last4` (to find "
        "a sale at the counter from the shopper's card)."
    ),
    "POST /v1/sales": Doc(
        errors={
            422: (
                "TOTAL_MISMATCH",
                "LINE_TOTAL_MISMATCH",
                "INVALID_AMOUNT",
                "INVALID_REFUND",
                "CURRENCY_MISMATCH",
                "UNKNOWN_SITE",
                "CARD_NUMBER_NOT_ALLOWED",
            ),
            409: ("BUSY",),
        },
        request=SALE_EXAMPLE,
    ),
    "GET /v1/sales/{id}": Doc(
        "The sale as recorded: lines, taxes, total, payment, card brand and last four, customer."
    ),
    "GET /v1/sales/{id}/receipts": Doc("Each receipt sent for the sale, its channel and status, newest first."),
    "POST /v1/sales/{id}/receipts": Doc(
        errors={
            422: (
                "SALE_WITHOUT_CUSTOMER",
                "CUSTOMER_WITHOUT_PHONE",
                "CUSTOMER_WITHOUT_EMAIL",
                "CUSTOMER_EMAIL_SUPPRESSED",
            ),
        },
        request={"channel": "email"},
    ),
    "GET /v1/customers/{id}/cards": Doc(
        "The cards that attach a customer's sales automatically: brand and last four digits (only with "
        "`customers:contact`), never a card number."
    ),
    "DELETE /v1/customers/{id}/cards/{card_id}": Doc("Later sales paid with this card no longer attach to anyone."),
    # --- signup ---
    "GET /v1/signup-qr": Doc(errors={422: ("KIOSK_WITH_SALE",)}),
    # --- intake forms ---
    "GET /v1/intake-forms": Doc(
        "The merchant's intake forms, newest first, each with its current questions and version; archived forms "
        "only with `archived=true`. Needs `customers:read`."
    ),
    "GET /v1/intake-forms/{id}": Doc("One intake form with its current questions and version."),
    "POST /v1/intake-forms": Doc(
        request={
            "title": {"en": "Before your massage", "fr": "Avant votre massage", "nl": "Voor je massage"},
            "questions": [
                {
                    "id": "allergies",
                    "kind": "text",
                    "label": {"en": "Allergies", "fr": "Allergies", "nl": "Allergieën"},
                    "required": True,
                },
                {
                    "id": "pregnant",
                    "kind": "yes_no",
                    "label": {"en": "Are you pregnant?", "fr": "Êtes-vous enceinte ?", "nl": "Ben je zwanger?"},
                },
                {
                    "id": "pressure",
                    "kind": "single_choice",
                    "label": {"en": "Pressure", "fr": "Pression", "nl": "Druk"},
                    "choices": [
                        {"value": "soft", "label": {"en": "Soft", "fr": "Douce", "nl": "Zacht"}},
                        {"value": "firm", "label": {"en": "Firm", "fr": "Ferme", "nl": "Stevig"}},
                    ],
                },
            ],
        }
    ),
    "PATCH /v1/intake-forms/{id}": Doc(request={"title": {"en": "Before your treatment"}, "archived": False}),
    # --- membership credits ---
    "GET /v1/credits/{id}": Doc(
        "One credit: its kind, the membership and period it came with, its status (`available`, `used`, "
        "`revoked`, `expired`), its last day, and when and by which key it was used or revoked."
    ),
    "GET /v1/custom-attribute-removals/{id}": Doc(
        "The progress of removing a custom attribute from every customer who holds a value (`total`, "
        "`processed`, `remaining`; `status` `queued`, `running` or `done`), started by "
        "`DELETE /v1/custom-attributes/{key}`."
    ),
}
