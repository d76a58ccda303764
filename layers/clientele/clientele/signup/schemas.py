"""API shapes of hosted signup's merchant routes."""

from __future__ import annotations

from pydantic import Field, StrictInt

from clientele.http.schemas import Input, Output


class RotationIn(Input):
    grace_days: StrictInt = Field(
        default=7,
        ge=0,
        le=90,
        description="Days the codes printed so far (and kiosk links) keep working; 0: they stop at once.",
    )


class RotationOut(Output):
    generation: int = Field(description="The signup links' new generation; codes carry it.")
    previous_links_valid_until: str = Field(
        description="When the links made before stop working (RFC 3339, UTC); links older still already have."
    )
    signup_url: str = Field(description="The new signup link (what `GET /v1/signup-qr` now encodes).")
