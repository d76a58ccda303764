"""Configuration, validated once per cold start: each context declares the settings it reads.

The domain never reads ``os.environ``: a context's ``wiring.py`` reads its own settings model through
:func:`settings` and passes values down, so a function validates only the variables it uses.
"""

from __future__ import annotations

import os
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from clientele.platform.providers import on_reset


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


S = TypeVar("S", bound=Settings)

_READ: dict[type[Settings], Settings] = {}


def settings(model: type[S]) -> S:
    """``model`` validated from the environment, once per container."""
    found = _READ.get(model)
    if found is None:
        found = _READ[model] = model.model_validate(dict(os.environ))
    return found  # type: ignore[return-value]


on_reset(_READ.clear)


class TableSettings(Settings):
    table_name: str = Field(alias="TABLE_NAME")


class MailSettings(Settings):
    # The SES configuration set every email is sent with (template.yaml: EmailConfigurationSet); empty: none.
    ses_configuration_set: str = Field(default="", alias="SES_CONFIGURATION_SET")


class LinkSettings(Settings):
    app_secret_arn: str = Field(default="", alias="APP_SECRET_ARN")
    public_base_url: str = Field(default="http://127.0.0.1:3000", alias="PUBLIC_BASE_URL")
    # Read when PUBLIC_BASE_URL is empty: the stack writes the API's origin there once the API exists.
    public_base_url_parameter: str = Field(default="", alias="PUBLIC_BASE_URL_PARAMETER")
