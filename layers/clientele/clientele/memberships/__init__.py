"""Memberships and dues: types, enrolment, statuses with reasons, quick views, payments, the daily dues run."""
