"""Descriptions of the schemas and fields that do not describe themselves.

The OpenAPI document describes every schema and every field (a test checks it). A model's docstring and a
field's ``Field(description=...)`` come first; what they leave unsaid is filled in here, at generation time:
``FIELDS`` by ``"Schema.field"`` first, then by the bare field name (one meaning throughout the API), and
``SCHEMAS`` by schema name. Write what an integrator needs: units, formats, id prefixes, what null means.
"""

from __future__ import annotations

from typing import Any

UTC = "RFC 3339, UTC"
MONEY = "integer minor units (cents) with its ISO 4217 currency"


def _at(what: str, null: str = "") -> str:
    return f"When {what} ({UTC})" + (f"; null {null}." if null else ".")


def _id(prefix: str, what: str) -> str:
    return f"The {what}'s id (`{prefix}_` and 25 characters)."


# --- schemas -------------------------------------------------------------------------------------------------

SCHEMAS: dict[str, str] = {
    "AccountOut": "A customer's loyalty account: points balance, what was earned and redeemed, and visits.",
    "Accrual": "How points are earned: `per_visit` (a fixed number per qualifying sale) or `per_amount` (per unit "
    "of money spent).",
    "Address": "A postal address of a customer.",
    "AddressIn": "A postal address of a customer, as sent.",
    "AdjustmentIn": "A manual change to a customer's points balance (positive adds, negative removes).",
    "AmountIO": f"An amount of money: {MONEY}.",
    "AnswerOut": "One answer of an intake-form submission, with the question's wording as the customer saw it.",
    "ApiKeyCreated": "A new API key, with its secret: the only time the secret is shown.",
    "ApiKeyIn": "A new API key: its name, role and (optionally) the sites it is limited to.",
    "ApiKeyList": "The merchant's API keys (never their secrets).",
    "ApiKeyOut": "An API key of the merchant (never its secret).",
    "AttachIn": "The customer to attach a sale to.",
    "AttributeType": "The kind of value a custom attribute holds.",
    "AuditList": "One page of a customer's audit trail, newest first.",
    "BatchList": "The direct-debit collection batches of the merchant.",
    "BatchOut": "A SEPA direct-debit collection batch (a pain.008 file) for one site and collection date.",
    "BillingPeriod": "How often a membership is charged.",
    "CancelIn": "How to cancel a membership: why, and whether at once or at the end of the paid period.",
    "CardIn": "The payment card of a sale: brand and last four digits only (never the full card number).",
    "CardList": "The payment cards linked to a customer.",
    "CardOut": "A payment card linked to a customer (brand and last four digits only).",
    "CardRefOut": "The payment card a sale was paid with (brand and last four digits only).",
    "Channel": "How a message reaches the customer: `email` or `sms`.",
    "ChargeOut": "One billing period's charge of a membership and whether it is paid.",
    "ChargeState": "Where a membership charge stands: `due`, `collecting` or `pending_collection` (direct debit "
    "under way), `paid`, `failed`, or `dropped` (written off).",
    "ChoiceIO": "One choice of a choice question: its stored value and its wording per language.",
    "ChoiceOut": "One choice of a choice question: its stored value and its wording per language.",
    "ConflictOut": "A field on which two merged customers disagreed: the value kept and the value dropped.",
    "ConsentOut": "The consent a customer gave with a submission: when, in which language, and the exact wording.",
    "CreatedCustomerOut": "The customer just created, with the possible duplicates the API noticed.",
    "CreditAllowance": "How many credits of one name a membership grants per billing period.",
    "CreditAllowanceIO": "How many credits of one name a membership grants per billing period.",
    "CreditIn": "A credit issued by hand to a customer (a free class, a visit...).",
    "CreditList": "One page of a customer's credits.",
    "CreditOut": "A credit a customer holds (a class, a visit...): where it came from, and whether it is still "
    "available.",
    "CreditPlanIO": "The credits a membership type grants each billing period, and what happens to unused ones.",
    "CreditSource": "Where a credit came from: a `membership` period, or issued by hand (`manual`).",
    "CreditState": "Where a credit stands: `available`, `used`, `revoked` or `expired`.",
    "CustomAttributeIn": "A new custom attribute: a field of your own on every customer (shoe size, allergies...).",
    "CustomAttributeList": "The merchant's custom attributes.",
    "CustomAttributeOut": "A custom attribute: a field of the merchant's own on every customer.",
    "CustomAttributePatch": "Changes to a custom attribute; omitted fields stay as they are.",
    "CustomerGroupList": "The groups a customer belongs to.",
    "CustomerGroupOut": "A group a customer belongs to, and since when.",
    "CustomerIn": "A new customer: at least one of a name, an email address or a phone number.",
    "CustomerList": "One page of customers.",
    "CustomerOut": "A customer of the merchant.",
    "CustomerPatch": "Changes to a customer; omitted fields stay as they are, null clears a field.",
    "DebitOut": "One direct debit of a collection batch.",
    "DeliveryList": "One page of message deliveries (receipts, welcome messages...).",
    "DeliveryOut": "One message sent (or being sent) to a customer, and how its delivery went.",
    "DuplicateList": "One page of customers that may be the same person.",
    "DuplicateOut": "Customers that may be the same person, why, and how likely.",
    "EnrollIn": "The phone number that identifies a customer's loyalty account.",
    "EnrolmentIn": "A customer's new membership: its type, start, rate and how it is paid.",
    "ErrorItem": "One error: a stable code to act on, a sentence for people, and the field at fault.",
    "ErrorResponse": "What every error answers: one or more errors.",
    "EventList": "One page of a loyalty account's history, newest first.",
    "EventOut": "One change to a loyalty account: points earned, reversed, adjusted, redeemed, expired or merged.",
    "EventType": "What changed a loyalty account.",
    "ExportIn": "A customer export: the file format and which customers.",
    "ExportList": "One page of the merchant's customer exports.",
    "ExportOut": "A customer export job and, once finished, the link to its file.",
    "FixedLength": "How long a fixed-length membership lasts.",
    "FixedLengthIO": "How long a fixed-length membership lasts.",
    "GroupIn": "A new customer group: a name, a kind, and for a smart group its criteria.",
    "GroupList": "The merchant's customer groups.",
    "GroupOut": "A customer group and how many customers it holds.",
    "GroupPatch": "Changes to a customer group; omitted fields stay as they are.",
    "ImportIn": "A customer import: the marketing preference the imported customers opted in to, if any.",
    "ImportOut": "A customer import job: its counts once processed, or why it failed.",
    "ImportStart": "Start an import, for real or as a dry run.",
    "InsightsOut": "What a customer's sales say: visits, spend, refunds and exchanges.",
    "IntakeFormIn": "A new intake form: a title and its questions, in each language.",
    "IntakeFormList": "The merchant's intake forms.",
    "IntakeFormOut": "An intake form: the questions a customer answers before a first appointment.",
    "IntakeFormPatch": "Changes to an intake form; omitted fields stay as they are.",
    "IntakeRequestIn": "Ask a customer to fill in an intake form: which form, and how to send the link.",
    "IntakeRequestOut": "A request sent to a customer to fill in an intake form, with its link and QR code.",
    "JobOut": "A job recomputing the members of a customer group, and its progress.",
    "LabelIn": "A new label.",
    "LabelList": "The merchant's labels.",
    "LabelOut": "A label the merchant puts on customers, and how many carry it.",
    "LastVisitIO": "A last-visit condition: a date, or a time ago.",
    "LengthUnit": "The unit of a length of time.",
    "LineIn": "One line of a sale: what, how many, at what unit price.",
    "LineOut": "One line of a sale: what, how many, at what unit price, and the line total.",
    "LocalisedIn": "A short text in each language of the product (English required).",
    "LongLocalisedIn": "A longer text in each language of the product (English required).",
    "MandateOut": "A customer's SEPA direct-debit mandate (the IBAN is masked).",
    "MandateRequestIn": "Ask a customer to sign a direct-debit mandate, or send the request again.",
    "MandateRequestOut": "A request sent to a customer to sign a direct-debit mandate.",
    "MandateStatus": "Whether a mandate may be collected on: `active` or `revoked`.",
    "MemberList": "One page of a customer group's members.",
    "MemberOut": "A member of a customer group, and since when.",
    "MembershipExportIn": "A membership export: the file format and which memberships.",
    "MembershipExportOut": "A membership export and, once ready, the link to its file.",
    "MembershipList": "One page of memberships.",
    "MembershipMoneyIO": f"A membership rate: {MONEY}.",
    "MembershipOut": "A customer's membership: its type, dates, rate, how it is paid and where it stands.",
    "MembershipPatch": "Changes to a membership; omitted fields stay as they are.",
    "MembershipPaymentMethod": "How a membership is paid: `manual` (at the counter) or `direct_debit` (SEPA).",
    "MembershipSettingsOut": "The merchant's membership settings: direct-debit creditor details and notice periods.",
    "MembershipSettingsPatch": "Changes to the membership settings; omitted fields stay as they are.",
    "MembershipTypeIn": "A new membership type: its name, rate, billing period and what it includes.",
    "MembershipTypeList": "The merchant's membership types.",
    "MembershipTypeOut": "A membership type the merchant sells.",
    "MembershipTypePatch": "Changes to a membership type; omitted fields stay as they are.",
    "MergeIn": "The customer to merge into this one (it disappears; its records move here).",
    "MergeOut": "The result of merging two customers: what moved and which values conflicted.",
    "MoneyIO": f"An amount of money: {MONEY}.",
    "MoneyOut": f"An amount of money: {MONEY}.",
    "NoteIn": "A new note on a customer.",
    "NoteList": "One page of a customer's notes, newest first.",
    "NoteOut": "A note staff wrote on a customer.",
    "OverviewOut": "The merchant's customer and sales figures over a period.",
    "PaymentIn": "A payment received by hand for a membership.",
    "PaymentMethod": "How a sale was paid.",
    "PeriodIO": "A length of time: a count of days, weeks or months.",
    "PhoneIn": "A phone number in international format.",
    "PhotoOut": "A short-lived link to a customer's photo.",
    "PhotoUploadIn": "The kind of image about to be uploaded as a customer's photo.",
    "PhotoUploadOut": "Where and how to upload a customer's photo (a presigned form, valid for a short time).",
    "PossibleDuplicate": "An existing customer that may be the same person as the one just created, and why.",
    "PreferenceIn": "A new marketing preference customers can opt in to, with its wording in each language.",
    "PreferenceList": "The merchant's marketing preferences.",
    "PreferenceOut": "A marketing preference customers can opt in to (a newsletter, SMS offers...).",
    "PreferencePatch": "Changes to a marketing preference; omitted fields stay as they are.",
    "PreferenceState": "Whether a customer opted in to one marketing preference, when, and how.",
    "ProgramIn": "The loyalty programme: how points are earned, the rewards, and when points expire.",
    "ProgramOut": "The merchant's loyalty programme.",
    "QuestionIO": "One question of an intake form, with its wording in each language.",
    "QuestionKind": "The kind of answer a question takes.",
    "QuestionOut": "One question of an intake form, with its wording in each language.",
    "QuickView": "A count of memberships in one state, and where to list them.",
    "Reason": "Why a membership needs attention.",
    "ReceiptIn": "How to send the receipt: by email or SMS (the customer's own address or number).",
    "RedeemIn": "Redeem a credit (nothing to send).",
    "RedemptionIn": "The reward to redeem with the customer's points.",
    "RejectionOut": "One row of an import that was not imported, and why.",
    "ReturnIn": "A direct debit the bank returned (R-transaction), and the bank's reason code.",
    "RevokeIn": "Why the credit is revoked.",
    "RewardIn": "A reward customers can redeem with their points.",
    "RewardOut": "A reward customers can redeem with their points.",
    "Role": "What an API key may do: `owner` (everything), `manager` (run the shop), `staff` (the counter).",
    "RotationIn": "Rotate the signup link: how many days the previous links keep working.",
    "RotationOut": "The new signup link, and until when the previous ones keep working.",
    "SaleIn": "A sale recorded at the till: lines, total, how it was paid, and optionally the customer.",
    "SaleList": "One page of sales, newest first.",
    "SaleOut": "A recorded sale.",
    "SalePointsOut": "The loyalty points a sale earned and the balance after it.",
    "SaleType": "What a sale is: a `purchase`, a `refund` of an earlier sale, or an `exchange`.",
    "SettingsOut": "The merchant's settings.",
    "SettingsPatch": "Changes to the merchant's settings; omitted fields stay as they are.",
    "SiteIn": "A new site (a shop): its name, address, country, currency and time zone.",
    "SiteList": "The merchant's sites.",
    "SiteOut": "A site (a shop) of the merchant.",
    "SitePatch": "Changes to a site; omitted fields stay as they are.",
    "Source": "How a customer came in: by hand, by QR signup, at a kiosk, from a sale, by import, or from an older "
    "system (`legacy`).",
    "SpendIO": "A spend condition: at least this much over a period.",
    "Status": "Where a membership stands: `upcoming`, `active`, `needs_attention`, `cancelled` or `expired`.",
    "SubmissionList": "A customer's intake-form submissions.",
    "SubmissionOut": "A customer's answers to an intake form, as the customer saw it.",
    "SummaryOut": "How many memberships need something done, at a glance.",
    "TaxLineIn": "One tax line of a sale (VAT at one rate).",
    "TaxLineOut": "One tax line of a sale (VAT at one rate).",
    "TermsAcceptIn": "The version of the customer-list terms being accepted.",
    "TermsOut": "The customer-list terms the merchant must accept, and whether they have been.",
    "Unit": "The unit of a length of time.",
    "UnusedCredits": "What happens to a period's unused credits: they `expire`, or `carry_over` (up to a cap).",
    "UploadForm": "A presigned upload form: post the file with these fields to this URL before it expires.",
    "VisitsIO": "A visits condition: at least this many visits over a period.",
    "WordingIn": "A marketing preference's name and description in one language.",
    "WordingOut": "A marketing preference's name and description in one language.",
}


# --- fields --------------------------------------------------------------------------------------------------

FIELDS: dict[str, str] = {
    # ids
    "customer_id": "The customer's id (`cus_` and 25 characters).",
    "SaleIn.customer_id": "The customer who bought, if known (`cus_...`); null or omitted for an anonymous sale.",
    "SaleOut.customer_id": "The customer the sale is attached to (`cus_...`); null for an anonymous sale.",
    "PossibleDuplicate.customer_id": "The existing customer that may be the same person (`cus_...`).",
    "site_id": "The site's id (`site_` and 25 characters).",
    "ExportFilters.site_id": "Only customers of this site (`site_...`); null: every site the key sees.",
    "MembershipExportIn.site_id": "Only memberships of this site (`site_...`); null: every site the key sees.",
    "OverviewOut.site_id": "The site the figures are for (`site_...`); null: every site the key sees.",
    "membership_id": "The membership's id (`mbr_` and 25 characters).",
    "CreditOut.membership_id": "The membership whose period granted the credit (`mbr_...`); null for a manual credit.",
    "group_id": _id("grp", "customer group"),
    "JobOut.group_id": "The customer group being recomputed (`grp_...`).",
    "card_id": _id("card", "card"),
    "form_id": _id("ifm", "intake form"),
    "question_id": "The question's id, unique within its form.",
    "reward_id": _id("rwd", "reward"),
    "EventOut.reward_id": "The reward redeemed (`rwd_...`); null unless the event is a redemption.",
    "sale_id": "The sale that caused the event (`sale_...`); null when no sale did.",
    "type_id": _id("mtype", "membership type"),
    "MembershipExportIn.type_id": "Only memberships of this type (`mtype_...`); null: every type.",
    "MembershipPatch.type_id": "Move the membership to this type (`mtype_...`).",
    "refund_of": "The sale this one refunds (`sale_...`); null unless the sale is a refund.",
    "other_customer_id": "The other customer of a merge (`cus_...`); null unless the event is a merge.",
    "source_id": "The customer merged away (`cus_...`); it no longer exists.",
    "survivor_id": "The customer that remains, holding both customers' records (`cus_...`).",
    "merchant_id": "The merchant's id (`mer_` and 25 characters).",
    "ApiKeyCreated.id": _id("key", "API key"),
    "ApiKeyOut.id": _id("key", "API key"),
    "AuditOut.id": _id("audit", "audit entry"),
    "BatchOut.id": "The collection batch's id: `ddb_`, the collection date (YYYYMMDD) and the site's id.",
    "CardOut.id": _id("card", "card"),
    "CreatedCustomerOut.id": _id("cus", "customer"),
    "CustomerOut.id": _id("cus", "customer"),
    "CreditOut.id": _id("crd", "credit"),
    "DeliveryOut.id": _id("dlv", "delivery"),
    "EventOut.id": _id("lev", "loyalty event"),
    "ExportOut.id": _id("exp", "export"),
    "AttributeRemovalOut.id": _id("arm", "custom attribute removal"),
    "GroupOut.id": _id("grp", "customer group"),
    "ImportOut.id": _id("imp", "import"),
    "IntakeFormOut.id": _id("ifm", "intake form"),
    "IntakeRequestOut.id": _id("ireq", "intake request"),
    "JobOut.id": _id("gjob", "group job"),
    "LabelOut.id": _id("label", "label"),
    "MandateOut.id": _id("mnd", "mandate"),
    "MandateRequestOut.id": _id("mreq", "mandate request"),
    "MembershipExportOut.id": _id("mexp", "membership export"),
    "MembershipOut.id": _id("mbr", "membership"),
    "MembershipTypeOut.id": _id("mtype", "membership type"),
    "NoteOut.id": _id("note", "note"),
    "PreferenceOut.id": _id("pref", "marketing preference"),
    "QuestionOut.id": "The question's id, unique within its form.",
    "RewardOut.id": _id("rwd", "reward"),
    "SaleOut.id": _id("sale", "sale"),
    "SiteOut.id": _id("site", "site"),
    "SubmissionOut.id": _id("isub", "submission"),
    "site_ids": "The sites (`site_...`) this applies to.",
    "ApiKeyIn.site_ids": "Limit the key to these sites (`site_...`); null or omitted: every site.",
    "ApiKeyCreated.site_ids": "The sites (`site_...`) the key is limited to; null: every site.",
    "ApiKeyOut.site_ids": "The sites (`site_...`) the key is limited to; null: every site.",
    "CreatedCustomerOut.site_ids": "The sites (`site_...`) where the customer has been seen.",
    "CustomerOut.site_ids": "The sites (`site_...`) where the customer has been seen.",
    # timestamps and dates
    "accepted_at": _at("the terms were accepted", "if they are not"),
    "archived_at": _at("the preference was archived", "while it is offered"),
    "at": _at("it happened"),
    "cancelled_at": _at("the membership was cancelled", "if it is not"),
    "changed_at": _at("the customer last changed this preference"),
    "created_at": _at("it was created"),
    "enrolled_at": _at("the customer joined the loyalty programme"),
    "expired_at": _at("the credit expired", "if it has not"),
    "expires_at": _at("the link stops working"),
    "finished_at": _at("the job finished", "while it runs"),
    "first_visit_at": _at("the customer's first sale happened", "before any sale"),
    "given_at": _at("the consent was given"),
    "issued_at": _at("the credit was issued"),
    "last_visit_at": _at("the customer's latest sale happened", "before any sale"),
    "linked_at": _at("the card was linked to the customer"),
    "merged_at": _at("the customers were merged"),
    "occurred_at": _at("the sale happened at the till"),
    "open_until": _at("the link sent to the customer stops working"),
    "paid_at": _at("the charge was paid", "while it is not"),
    "raised_at": _at("the charge was raised"),
    "revoked_at": _at("it was revoked", "while it is valid"),
    "sent_at": _at("the message was sent", "until it is"),
    "signed_at": _at("the customer signed the mandate"),
    "started_at": _at("the import started", "until then"),
    "submitted_at": _at("the customer submitted the form"),
    "updated_at": _at("it last changed"),
    "ProgramOut.updated_at": _at("the programme last changed", "if it never did"),
    "used_at": _at("the credit was used", "if it has not been"),
    "collection_date": "The date the bank collects the debits (YYYY-MM-DD).",
    "birthday": "The customer's date of birth (YYYY-MM-DD); null if unknown.",
    "end_date": "The last day of the membership (YYYY-MM-DD); null: it runs until cancelled.",
    "next_billing_date": "The date the next period is charged (YYYY-MM-DD); null when no charge is coming.",
    "period_end": "The last day of the billing period (YYYY-MM-DD).",
    "CreditOut.period_end": "The last day of the membership period that granted the credit; null for a manual credit.",
    "period_start": "The first day of the billing period (YYYY-MM-DD).",
    "CreditOut.period_start": "The first day of the membership period that granted the credit; null for a manual "
    "credit.",
    "start_date": "The first day of the membership (YYYY-MM-DD).",
    "since": "The date the customer entered the group; null when not known.",
    "from": "The first day of the period (YYYY-MM-DD); null: since the first sale.",
    "to": "The last day of the period (YYYY-MM-DD); null: up to today.",
    "expiry_months": "Months without a visit after which points expire; null: points never expire.",
    "time_zone": "The site's IANA time zone (for example `Europe/Amsterdam`): local dates and times of its sales "
    "follow it.",
    # money
    "amount": "The amount in integer minor units (1250 is 12.50 in EUR).",
    "ChargeOut.amount": "What the period costs.",
    "DebitOut.amount": "The amount collected.",
    "TaxLineOut.amount": "The tax amount.",
    "currency": "The ISO 4217 currency code, for example `EUR`.",
    "SiteIn.currency": "The currency the site sells in (ISO 4217, for example `EUR`); its sales must use it.",
    "SiteOut.currency": "The currency the site sells in (ISO 4217, for example `EUR`).",
    "SitePatch.currency": "The currency the site sells in (ISO 4217).",
    "total": f"The total, {MONEY}.",
    "BatchOut.total": "The sum of the batch's debits.",
    "LineOut.total": "The line total: quantity times unit price.",
    "SaleIn.total": f"The sale's total, {MONEY}: the sum of the line totals plus the taxes not included in them "
    "(422 `TOTAL_MISMATCH` otherwise). Never negative for a purchase or a refund; the type says money went back.",
    "SaleOut.total": f"The sale's total, {MONEY}.",
    "unit_price": f"The price of one unit, {MONEY}.",
    "rate": f"The price per billing period, {MONEY}.",
    "MembershipPatch.rate": "A new price per billing period for this membership.",
    "MembershipTypePatch.rate": "A new price per billing period for new memberships of this type.",
    "TaxLineOut.rate": "The rate as printed (for example `21%`); null if the till gave none.",
    "minimum_spend": "The least a sale must total to earn points, in integer minor units.",
    "unit_amount": "The amount of money (integer minor units) that earns `points_per_unit` points.",
    "spent": "What the customer spent over the group's period; null for a group without a spend condition.",
    # customers
    "addresses": "The customer's postal addresses.",
    "attributes": "The customer's custom attributes, by key (see `/v1/custom-attributes`).",
    "CustomerPatch.attributes": "Custom attributes to set, by key; a null value removes one.",
    "email": "The customer's email address; null if none.",
    "ExportFilters.email": "Only the customer with this email address.",
    "family_name": "The customer's family name; null if not given.",
    "given_name": "The customer's given name; null if not given.",
    "labels": "The ids of the labels on the customer (`label_...`).",
    "locale": "The language to write to the customer in: `en`, `fr` or `nl`; null: the merchant's.",
    "ConsentOut.locale": "The language the consent was shown in (`en`, `fr` or `nl`).",
    "SubmissionOut.locale": "The language the form was filled in (`en`, `fr` or `nl`).",
    "SettingsOut.locale": "The merchant's language (`en`, `fr` or `nl`): the default for customers.",
    "SettingsPatch.locale": "The merchant's language (`en`, `fr` or `nl`).",
    "marketing": "The customer's marketing preferences, by preference id (`pref_...`).",
    "CustomerPatch.marketing": "Marketing preferences to change, by preference id (`pref_...`): true opts in, "
    "false opts out.",
    "phone": "The customer's phone number in international (E.164) format; null if none.",
    "PhoneIn.phone": "The phone number in international (E.164) format, for example `+31612345678`.",
    "ExportFilters.phone": "Only the customer with this phone number.",
    "source": "How the customer came in: by hand, by QR signup, at a kiosk, from a sale, by import, or from an "
    "older system.",
    "ExportFilters.source": "Only customers who came in this way.",
    "PreferenceState.source": "Where the choice was made: `merchant` (through the API), `one_click` (an email's "
    "unsubscribe link), the signup or preferences page...",
    "version": "The version for optimistic locking: send the one you read; 409 `VERSION_MISMATCH` if it changed since.",
    "CreatedCustomerOut.version": "The version to send with the next change (optimistic locking).",
    "CustomerOut.version": "The version to send with the next change (optimistic locking).",
    "GroupOut.version": "The version to send with the next change (optimistic locking).",
    "MembershipOut.version": "The version to send with the next change (optimistic locking).",
    "MembershipSettingsOut.version": "The version to send with the next change (optimistic locking).",
    "ProgramOut.version": "The version to send with the next change (optimistic locking).",
    "SettingsOut.version": "The version to send with the next change (optimistic locking).",
    "TermsAcceptIn.version": "The terms version being accepted, as `GET /v1/terms` gives it.",
    "city": "The city or town.",
    "country": "The ISO 3166-1 alpha-2 country code, for example `NL`.",
    "line1": "The street and house number.",
    "line2": "More of the address (a flat, a building); null if none.",
    "postal_code": "The postal code; null if none.",
    "region": "The province, state or region; null if none.",
    # names, kinds and wordings, by schema
    "CustomAttributeIn.name": "The attribute's name as staff see it (for example `Shoe size`).",
    "CustomAttributeOut.name": "The attribute's name as staff see it (for example `Shoe size`).",
    "CustomAttributePatch.name": "A new name for the attribute.",
    "LabelIn.name": "The label's name as staff see it (for example `VIP`).",
    "LabelOut.name": "The label's name as staff see it (for example `VIP`).",
    "PreferenceIn.name": "The preference's name (for example `Newsletter`).",
    "PreferenceOut.name": "The preference's name (for example `Newsletter`).",
    "PreferencePatch.name": "A new name for the preference.",
    "WordingIn.name": "The preference's name in this language, as customers see it.",
    "WordingOut.name": "The preference's name in this language, as customers see it.",
    "SiteIn.name": "The site's name (for example `Amsterdam Centrum`).",
    "SiteOut.name": "The site's name (for example `Amsterdam Centrum`).",
    "SitePatch.name": "A new name for the site.",
    "CustomerGroupOut.name": "The group's name (for example `Regulars`).",
    "GroupIn.name": "The group's name (for example `Regulars`).",
    "GroupOut.name": "The group's name (for example `Regulars`).",
    "GroupPatch.name": "A new name for the group.",
    "RewardOut.name": "The reward's name, by language (`en`, `fr`, `nl`).",
    "MembershipTypeIn.name": "The membership type's name (for example `Monthly unlimited`).",
    "MembershipTypeOut.name": "The membership type's name (for example `Monthly unlimited`).",
    "MembershipTypePatch.name": "A new name for the membership type.",
    "PreferenceIn.description": "A sentence saying what customers opt in to; null: none.",
    "PreferenceOut.description": "A sentence saying what customers opt in to; null: none.",
    "PreferencePatch.description": "A new sentence saying what customers opt in to.",
    "WordingIn.description": "What customers opt in to, in this language; null: none.",
    "WordingOut.description": "What customers opt in to, in this language; null: none.",
    "RewardIn.description": "What the reward is, in each language (English required); null: none.",
    "RewardOut.description": "What the reward is, by language (`en`, `fr`, `nl`).",
    "AnswerOut.kind": "The kind of question answered.",
    "QuestionIO.kind": "The kind of answer the question takes.",
    "QuestionOut.kind": "The kind of answer the question takes.",
    "CustomAttributeIn.type": "The kind of value the attribute holds.",
    "CustomAttributeOut.type": "The kind of value the attribute holds.",
    "SaleOut.type": "A `purchase`, a `refund` or an `exchange`.",
    "EventOut.type": "What changed the account.",
    "MandateOut.status": "Whether the mandate may be collected on.",
    "MembershipOut.status": "Where the membership stands.",
    "ExportOut.format": "The file format: `csv` (UTF-8) or `xlsx` (Excel).",
    "MembershipExportOut.format": "The file format: `csv` or `xlsx` (Excel).",
    "ChoiceIO.label": "The choice's wording in each language (English required).",
    "ChoiceOut.label": "The choice's wording, by language (`en`, `fr`, `nl`).",
    "QuestionIO.label": "The question's wording in each language (English required).",
    "QuestionOut.label": "The question's wording, by language (`en`, `fr`, `nl`).",
    "IntakeFormIn.title": "The form's title in each language (English required).",
    "IntakeFormPatch.title": "A new title for the form, in each language.",
    "PeriodIO.unit": "The unit of `count`: days (the default), weeks or months.",
    "FixedLength.unit": "The unit of `count`: days, weeks, months or years.",
    "FixedLengthIO.unit": "The unit of `count`: days, weeks, months or years.",
    "MembershipOut.payment_method": "How the membership is paid: at the counter (`manual`) or by SEPA direct debit.",
    "ImportOut.processed": "Rows of the file processed so far.",
    "JobOut.processed": "Customers processed so far.",
    "SalePointsOut.balance": "Points the customer holds after this sale.",
    "RejectionOut.code": "Why the row was not imported, as a code to act on.",
    "IntakeRequestOut.channel": "How the link reaches the customer: `email`, `sms`, or `link` (handed over at the "
    "desk, with a QR code).",
    # lists and paging
    "items": "The entries, in the list's order; a list with a `cursor` holds one page of them.",
    "cursor": "Pass as `cursor` to get the next page; null on the last page.",
    # sales
    "lines": "What was sold, one line per item.",
    "description": "What is described, in words people read.",
    "LineIn.description": "What was sold, as the receipt shows it.",
    "LineOut.description": "What was sold, as the receipt shows it.",
    "quantity": "How many units.",
    "card": "The payment card used (brand and last four digits); null when not paid by card.",
    "payment_method": "How it is paid.",
    "SaleOut.payment_method": "How the sale was paid; null if not given.",
    "taxes": "The sale's tax lines; empty when the till gave none.",
    "type": "What kind it is.",
    "brand": "The card brand, for example `visa` or `mastercard`.",
    "cardholder_name": "The name on the card; null if not given.",
    "last4": "The card number's last four digits.",
    "included": "Whether the tax is included in the line prices (true) or added on top (false).",
    "sale": "The sale, now attached to the customer.",
    # loyalty
    "accrual": "How points are earned: per visit or per amount spent.",
    "allow_negative": "Whether points taken back (by a refund or an adjustment) may take the balance below zero; "
    "otherwise it stops at zero.",
    "balance": "Points the customer holds now.",
    "balance_after": "Points the customer held after this event.",
    "lifetime_earned": "Points earned since enrolment, redeemed or not.",
    "redeemed": "Points spent on rewards since enrolment.",
    "points": "A number of points.",
    "EventOut.points": "Points this event added (positive) or removed (negative).",
    "RewardIn.points": "The points the reward costs.",
    "RewardOut.points": "The points the reward costs.",
    "points_per_unit": "Points earned per `unit_amount` spent (with `per_amount` accrual).",
    "points_per_visit": "Points earned per qualifying sale (with `per_visit` accrual).",
    "rewards": "The rewards customers can redeem.",
    # messaging and preferences
    "channel": "How it reaches the customer: `email` or `sms`.",
    "wording": "The wording shown to customers, by language (`en`, `fr`, `nl`).",
    "opted_in": "Whether the customer opted in.",
    "archived": "Whether it is archived: kept for history but no longer offered.",
    "marketing_preference": "The marketing preference (`pref_...`); null: none.",
    "ImportOut.marketing_preference": "The marketing preference (`pref_...`) the imported customers opted in to; "
    "null: none.",
    "ExportOut.marketing_preference": "Only customers opted in to this preference (`pref_...`); null: all.",
    # memberships
    "bank_name": "The customer's bank, when known; null otherwise.",
    "billing_period": "How often the membership is charged.",
    "cancellation_reason": "Why the membership was cancelled; null if it was not.",
    "collection_bic": "The BIC of the merchant's account the debits are collected to; null if not set.",
    "collection_iban": "The IBAN of the merchant's account the debits are collected to; null if not set.",
    "creditor_id": "The SEPA creditor identifier of the merchant; null if not set.",
    "creditor_name": "The creditor name shown on the customer's bank statement; null if not set.",
    "credits": "The credits each billing period grants; null: none.",
    "debits": "The debits of the batch; null in a list.",
    "end_to_end_id": "The end-to-end id of the debit, as on the bank's statement and return file.",
    "ending_notice_days": "Days before a membership ends that the customer is told.",
    "fixed_length": "How long a fixed-length membership lasts; null: it runs until cancelled.",
    "grace_days": "Days an unpaid charge may stay open before the membership needs attention.",
    "needs_mandate": "Direct-debit memberships without an active mandate.",
    "MembershipOut.needs_mandate": "Whether the membership is paid by direct debit but has no active mandate yet.",
    "number": "The membership number shown to the customer.",
    "payment_failed": "Memberships whose latest payment failed.",
    "MembershipOut.payment_failed": "Whether the latest payment failed.",
    "payment_type": "How the charge was paid (`cash`, `card`...); null while unpaid.",
    "payment_types": "The payment types staff may record for a membership payment (for example `cash`, `card`, "
    "`bank_transfer`).",
    "payment_up_to_date": "Whether every charge due has been paid.",
    "prenotification_days": "Days before a collection that the customer is told of the debit.",
    "reference": "The mandate reference, as on the customer's bank statement.",
    "reminder_days": "Days before a charge falls due that the customer is reminded.",
    "schema_version": "The pain.008 schema version of the batch file.",
    "sent_count": "How many times the request has been sent.",
    "state": "Where the charge stands.",
    "status": "Where it stands.",
    "MembershipExportIn.status": "Only memberships in this state; null: every state.",
    "text_version": "The version of the mandate wording the customer signed.",
    "unused": "What happens to a period's unused credits.",
    "carry_over_cap": "The most unused credits carried into the next period; null: no cap.",
    "per_period": "The credits granted each billing period.",
    "count": "How many.",
    "BatchOut.count": "How many debits the batch holds.",
    "CreditAllowance.count": "How many credits of this name each period grants.",
    "FixedLength.count": "How many units the membership lasts.",
    "FixedLengthIO.count": "How many units the membership lasts.",
    "MembershipExportOut.count": "How many memberships the file holds.",
    "QuickView.count": "How many memberships are in this state.",
    "unit": "The unit of the length.",
    # groups
    "criteria": "The conditions a customer meets to be in a smart group; null for other kinds.",
    "kind": "What kind it is.",
    "CustomerGroupOut.kind": "`system` (fixed rules), `smart` (by criteria) or `manual` (added by hand).",
    "last_visit": "The customer's latest visit date, as the group saw it; null if none.",
    "last_visit_after": "Customers whose latest visit is after this; null: no condition.",
    "last_visit_before": "Customers whose latest visit is before this; null: no condition.",
    "lapse_after": "How long after meeting the criteria a customer leaves the group; null: never.",
    "member_count": "How many customers the group holds.",
    "period": "The period the condition looks back over.",
    "spend": "A spend condition; null: none.",
    "visits": "A visits condition; null: none.",
    "processed": "How many customers (or rows) have been processed.",
    # imports and exports
    "created": "Customers created.",
    "updated": "Customers updated.",
    "unchanged": "Rows that matched a customer and changed nothing.",
    "rejected": "Rows not imported (see the rejections).",
    "labels_created": "Labels the import created.",
    "dry_run": "Whether nothing is written: the counts show what an import would do.",
    "failure_code": "Why the job failed, as a code; null unless it failed.",
    "failure_reason": "Why the job failed, in words; null unless it failed.",
    "ignored_columns": "Columns of the file that were not read.",
    "filters": "Which customers the export holds.",
    "format": "The file format.",
    "row_count": "How many rows the file holds; null until it is finished.",
    "order": "`asc` or `desc`, as `GET /v1/customers` takes it; null: its default order.",
    "sort": "`name`, `created`, `updated` or `last_visit`, as `GET /v1/customers` takes it; null: its default.",
    "q": "Only customers matching this text (a name, the start of an email, or a phone); null: all.",
    "created_by": "The API key (`key_...`) that created it.",
    "ApiKeyCreated.created_by": "The API key (`key_...`) that created this one; null for a key made at onboarding.",
    "ApiKeyOut.created_by": "The API key (`key_...`) that created this one; null for a key made at onboarding.",
    # audit
    "action": "What was done: `created`, `updated`, `imported`, `attribute_removed`...",
    "actor": "Who did it: the API key (`key_...`) that made the change, or `customer` for the customer's own change.",
    "AuditOut.fields": "The names of the fields that changed (never their values).",
    # insights
    "exchange_count": "The customer's exchanges.",
    "purchase_count": "The customer's purchases.",
    "refund_count": "The customer's refunds.",
    # intake forms
    "answers": "The answers, one per question answered.",
    "choices": "The choices of a choice question; empty for other kinds.",
    "consent": "The consent the customer gave with the submission.",
    "label": "The wording, by language (`en`, `fr`, `nl`).",
    "questions": "The questions, in order.",
    "required": "Whether the customer must answer.",
    "title": "The form's title, by language (`en`, `fr`, `nl`).",
    "SubmissionOut.title": "The form's title, as the customer saw it.",
    "value": "The value stored when this choice is picked.",
    "en": "The English text.",
    "fr": "The French text; null: the English one is shown.",
    "nl": "The Dutch text; null: the English one is shown.",
    # settings, sites, keys, terms
    "address": "The site's postal address, on one line; null if not given.",
    "business_name": "The merchant's name, as customers see it on receipts and pages.",
    "contact_email": "Where customers can write to the merchant; null if not given.",
    "privacy_policy_url": "The merchant's privacy policy, linked from every consent; null if not given.",
    "terms_accepted": "Whether the customer-list terms are accepted (most routes need them).",
    "accepted": "Whether the current terms are accepted.",
    "accepted_by": "The API key (`key_...`) that accepted them; null if not accepted.",
    "accepted_version": "The terms version accepted; null if none.",
    "url": "The link.",
    "TermsOut.url": "Where to read the terms.",
    "PhotoUploadOut.url": "Where to post the upload form.",
    "role": "What the key may do: `owner`, `manager` or `staff`.",
    "name": "The name people see.",
    "ApiKeyIn.name": "A name to recognise the key by (for example `Till 3`); null: none.",
    "ApiKeyOut.name": "The key's name; null if none.",
    "ApiKeyCreated.name": "The key's name; null if none.",
    "CreditAllowance.name": "The name of the credit (for example `Class`).",
    "CreditOut.name": "The name of the credit (for example `Class`).",
    "TaxLineOut.name": "The tax as the receipt shows it (for example `VAT 21%`).",
    "key": "The attribute's key, as used in a customer's `attributes` (lowercase letters, digits, `_`).",
    "options": "The allowed values of a `select` attribute; empty for other types.",
    "max_bytes": "The largest file the upload accepts, in bytes.",
    "fields": "The form fields to post with the file, as given.",
    # various
    "code": "The rejection as a code.",
    "reason": "Why, in words.",
    "RevokeIn.reason": "Why the credit is revoked (kept in its history).",
    "CancelIn.reason": "Why the membership is cancelled.",
    "CreditOut.reason": "Why the credit was issued by hand; null for a membership credit.",
    "EventOut.reason": "Why the points were adjusted; null for other events.",
    "RejectionOut.reason": "Why the row was not imported, in words.",
    "ReturnIn.end_to_end_id": "The end-to-end id of the returned debit.",
    "revoked_reason": "Why the credit was revoked; null if it was not.",
    "errors": "The errors, at least one.",
    "text": "The note, in the words staff wrote it (it is erased with the customer).",
    "conflicts": "The fields on which the two customers disagreed.",
}


def gloss(schemas: dict[str, Any]) -> None:
    """Adds, in place, the descriptions the models leave unsaid (their own always win)."""
    for name, schema in schemas.items():
        if not schema.get("description") and name in SCHEMAS:
            schema["description"] = SCHEMAS[name]
        for field, prop in schema.get("properties", {}).items():
            if prop.get("description"):
                continue
            text = FIELDS.get(f"{name}.{field}") or FIELDS.get(field)
            if text:
                prop["description"] = text


# --- parameters ----------------------------------------------------------------------------------------------

# The resource a path's ``{id}`` names, by the path segment before it.
PATH_IDS: dict[str, tuple[str, str]] = {
    "api-keys": ("key", "API key"),
    "credits": ("crd", "credit"),
    "custom-attribute-removals": ("arm", "custom attribute removal"),
    "customer-exports": ("exp", "customer export"),
    "customer-imports": ("imp", "customer import"),
    "customers": ("cus", "customer"),
    "direct-debit-batches": ("", "collection batch"),  # ddb_<YYYYMMDD>_<site id>
    "groups": ("grp", "customer group"),
    "intake-forms": ("ifm", "intake form"),
    "labels": ("label", "label"),
    "marketing-preferences": ("pref", "marketing preference"),
    "membership-exports": ("mexp", "membership export"),
    "membership-types": ("mtype", "membership type"),
    "memberships": ("mbr", "membership"),
    "sales": ("sale", "sale"),
    "sites": ("site", "site"),
}

# Other parameters, by ``"METHOD /path name"`` first, then by name.
PARAMETERS: dict[str, str] = {
    "key": "The custom attribute's key (lowercase letters, digits, `_`).",
    "label_id": _id("label", "label"),
    "note_id": _id("note", "note"),
    "card_id": _id("card", "card"),
    "job_id": _id("gjob", "group job"),
    "customer_id": "The customer's id (`cus_` and 25 characters).",
    "GET /v1/sales customer_id": "Only this customer's sales (`cus_...`).",
    "GET /v1/insights site_id": "Only this site's figures (`site_...`); omitted: every site the key sees.",
    "archived": "`true` lists the archived ones as well; `false` (the default) only those in use.",
    "GET /v1/loyalty/accounts phone": "The phone number of the loyalty account, in international format.",
    "GET /v1/memberships status": "Only memberships in this state.",
    "GET /v1/memberships type_id": "Only memberships of this type (`mtype_...`).",
    "GET /v1/memberships view": "One quick view instead of filters: `needs_mandate`, `payment_failed`, "
    "`ending_soon` or `payment_due`.",
    "GET /v1/customers/{id}/credits status": "Only credits in this state.",
    "GET /v1/customers/{id}/credits membership_id": "Only the credits of this membership (`mbr_...`).",
}


def _path_id(path: str, name: str) -> str | None:
    segments = path.strip("/").split("/")
    if "{" + name + "}" not in segments:
        return None
    before = segments[segments.index("{" + name + "}") - 1]
    if before not in PATH_IDS:
        return None
    prefix, what = PATH_IDS[before]
    return (
        _id(prefix, what) if prefix else f"The {what}'s id: `ddb_`, the collection date (YYYYMMDD) and the site's id."
    )


def gloss_parameters(paths: dict[str, Any]) -> None:
    """Adds, in place, the descriptions the routes' parameters leave unsaid."""
    for path, operations in paths.items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter.get("description"):
                    continue
                name = parameter.get("name", "")
                text = (
                    PARAMETERS.get(f"{method.upper()} {path} {name}")
                    or (_path_id(path, name) if parameter.get("in") == "path" and name == "id" else None)
                    or PARAMETERS.get(name)
                )
                if text:
                    parameter["description"] = text


def undescribed_parameters(paths: dict[str, Any]) -> list[str]:
    """``METHOD /path name`` of every parameter without a description."""
    return sorted(
        f"{method.upper()} {path} {parameter.get('name')}"
        for path, operations in paths.items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if not str(parameter.get("description", "")).strip()
    )


def undescribed(schemas: dict[str, Any]) -> list[str]:
    """Every ``Schema`` and ``Schema.field`` without a description of its own. Fields are found in the schema's
    own properties and in its inline parts (``allOf``/``anyOf``/``oneOf`` branches, ``items``, ``additionalProperties``,
    nested objects: ``Schema.field.sub``); a ``$ref`` is not followed, the schema it names is checked by its name."""
    missing = [name for name, schema in schemas.items() if not _said(schema)]
    for name, schema in schemas.items():
        _fields(schema, name, missing)
    return sorted(missing)


def _said(node: dict[str, Any]) -> bool:
    return bool(str(node.get("description", "")).strip())


def _fields(node: Any, where: str, missing: list[str]) -> None:
    if not isinstance(node, dict):
        return
    for field, prop in (node.get("properties") or {}).items():
        if not isinstance(prop, dict) or not _said(prop):
            missing.append(f"{where}.{field}")
        _fields(prop, f"{where}.{field}", missing)
    for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
        for branch in node.get(key) or []:
            _fields(branch, where, missing)
    for key in ("items", "additionalProperties", "not"):
        _fields(node.get(key), where, missing)
