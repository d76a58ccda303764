"""Links are built on the public origin: PUBLIC_BASE_URL, or the SSM parameter the stack writes once the
API exists (functions never refer to the API: that would be a dependency cycle)."""

from __future__ import annotations

import pytest
from moto import mock_aws

from clientele.kernel.links import Link, LinkSigner
from clientele.platform import providers
from clientele.platform.aws import reset_clients
from clientele.platform.public_url import public_base_url


@pytest.fixture(autouse=True)
def _fresh() -> object:
    providers.reset()
    reset_clients()
    yield
    providers.reset()
    reset_clients()


def test_the_configured_origin_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://go.example.com/")
    monkeypatch.setenv("PUBLIC_BASE_URL_PARAMETER", "/clientele/prod/public-base-url")
    assert LinkSigner(b"k" * 32, public_base_url).url(Link.ERASE, {"c": "1"}).startswith("https://go.example.com/e/")


def test_an_empty_origin_is_read_from_ssm_once_and_only_when_a_url_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "")
    monkeypatch.setenv("PUBLIC_BASE_URL_PARAMETER", "/clientele/prod/public-base-url")
    with mock_aws():
        import boto3

        signer = LinkSigner(b"k" * 32, public_base_url)  # nothing read yet: verifying links needs no origin
        boto3.client("ssm").put_parameter(
            Name="/clientele/prod/public-base-url",
            Value="https://abc.execute-api.eu-west-1.amazonaws.com",
            Type="String",
        )
        assert signer.url(Link.ERASE, {"c": "1"}).startswith("https://abc.execute-api.eu-west-1.amazonaws.com/e/")
        boto3.client("ssm").delete_parameter(Name="/clientele/prod/public-base-url")
        assert signer.public_base_url == "https://abc.execute-api.eu-west-1.amazonaws.com"  # cached per container
