"""The ``Idempotency-Key`` header's format (``http.idempotency.check_key``)."""

from __future__ import annotations

import pytest

from clientele.http.idempotency import check_key
from clientele.kernel.errors import BadRequest


def test_no_header_means_no_idempotency() -> None:
    assert check_key(None) is None


@pytest.mark.parametrize(
    "key", ["6f1c1d5e-8a4b-4c2e-9d7f-2b1e0a9c3d45", "01HV6Z0S8E2J3K4M5N6P7Q8R9T", "till-7/receipt#0042", "!", "~" * 255]
)
def test_printable_ascii_keys_up_to_255_characters_are_taken_as_sent(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize(
    "key", ["", " ", "two words", "a" * 256, "tab\there", "caf\u00e9", "nul\x00", "del\x7f", "\nlead", "mid\nline"]
)
def test_other_keys_are_refused(key: str) -> None:
    with pytest.raises(BadRequest) as caught:
        check_key(key)
    assert caught.value.status == 400
    assert (caught.value.details[0].code, caught.value.details[0].field) == (
        "INVALID_IDEMPOTENCY_KEY",
        "Idempotency-Key",
    )


@pytest.mark.parametrize("key", ["abc\n", "a" * 255 + "\n"])
def test_a_trailing_newline_is_refused_too(key: str) -> None:
    with pytest.raises(BadRequest):
        check_key(key)
