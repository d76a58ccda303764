"""A sale's id: derived from (merchant, Idempotency-Key) so retries find the sale, random otherwise."""

from __future__ import annotations

import hashlib
import re

from clientele.sales.service import sale_id_for

ALPHABET = "0123456789abcdefghijkmnopqrstuvwxyz"
SHAPE = re.compile(rf"^sale_[{ALPHABET}]{{25}}$")


def test_the_same_merchant_and_key_always_give_the_same_id() -> None:
    assert sale_id_for("mer_1", "till-7/receipt-0042") == sale_id_for("mer_1", "till-7/receipt-0042")


def test_another_merchant_or_another_key_gives_another_id() -> None:
    made = {sale_id_for(m, k) for m in ("mer_1", "mer_2", "mer_10") for k in ("k", "k2", "K", "mer_1")}
    assert len(made) == 12


def test_merchant_and_key_cannot_be_shifted_into_one_another() -> None:
    # A plain concatenation would give these the same id.
    assert sale_id_for("mer_1", "23") != sale_id_for("mer_12", "3")


def test_the_id_encodes_128_bits_of_a_sha256_of_merchant_and_key() -> None:
    sale_id = sale_id_for("mer_1", "abc")
    number = 0
    for char in sale_id.removeprefix("sale_"):
        number = number * len(ALPHABET) + ALPHABET.index(char)
    digest = hashlib.sha256(b"mer_1\x00abc").digest()
    assert number == int.from_bytes(digest[:16], "big")


def test_derived_ids_have_the_shape_of_every_other_id() -> None:
    for index in range(2000):
        assert SHAPE.match(sale_id_for("mer_1", f"key-{index}"))


def test_without_a_key_ids_are_random_well_shaped_and_sort_by_time() -> None:
    made = [sale_id_for("mer_1", None) for _ in range(500)]
    assert len(set(made)) == 500
    assert all(SHAPE.match(i) for i in made)
    # The time comes first, so ids made in order never sort before one made earlier in another millisecond.
    assert made[0][:14] <= made[-1][:14]
