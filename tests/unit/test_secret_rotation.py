"""Rotating the application secret: links signed with the previous key keep working, new links use the new
key, and keyed hashes keep the original key (the stored hashes were made with it)."""

from __future__ import annotations

import pytest

from clientele.kernel.links import InvalidLink, Link, LinkSigner
from clientele.platform.secrets import parse_keys

OLD, NEW = b"original-key-" + b"o" * 40, b"new-key-" + b"n" * 40


def test_a_plain_value_is_one_key() -> None:
    assert parse_keys("s3cret-value") == [b"s3cret-value"]


def test_a_key_list_is_read_newest_first() -> None:
    assert parse_keys('{"keys": ["new", "older", "original"]}') == [b"new", b"older", b"original"]


@pytest.mark.parametrize("value", ['{"keys": []}', '{"keys": "new"}', '{"keys": [""]}', '{"other": 1}', "{not json"])
def test_a_malformed_key_list_is_refused_loudly(value: str) -> None:
    with pytest.raises(RuntimeError):
        parse_keys(value)


def test_links_signed_before_the_rotation_still_open() -> None:
    printed = LinkSigner(OLD).sign(Link.SIGNUP, {"m": "mer_1"})  # a QR code on the counter
    rotated = LinkSigner([NEW, OLD])
    assert rotated.verify(Link.SIGNUP, printed) == {"m": "mer_1"}


def test_new_links_are_signed_with_the_newest_key() -> None:
    fresh = LinkSigner([NEW, OLD]).sign(Link.ERASE, {"m": "mer_1", "c": "cus_1"})
    assert LinkSigner(NEW).verify(Link.ERASE, fresh) == {"m": "mer_1", "c": "cus_1"}
    with pytest.raises(InvalidLink):
        LinkSigner(OLD).verify(Link.ERASE, fresh)


def test_once_the_old_key_is_dropped_its_links_stop_working() -> None:
    printed = LinkSigner(OLD).sign(Link.RECEIPT, {"m": "mer_1", "s": "sale_1"})
    with pytest.raises(InvalidLink):
        LinkSigner([NEW]).verify(Link.RECEIPT, printed)


def test_keyed_hashes_keep_the_original_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from clientele.platform import secrets

    monkeypatch.setattr(secrets, "secret_keys", lambda: [NEW, OLD])
    assert secrets.app_secret() == OLD
