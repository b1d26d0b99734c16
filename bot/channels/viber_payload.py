"""The shape of a Viber callback, checked (pydantic) before anything reads it.

A signed callback is still refused with 400 when its fields have the wrong types, coordinates are out of range,
or it nests deeper than any real callback: the JSON parser stops at a fixed depth instead of recursing until the
interpreter gives up. Fields Viber may add later are allowed and kept.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["ViberCallbackShape", "well_formed"]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class _User(_Open):
    id: str = Field(min_length=1, max_length=256)
    name: str | None = None
    language: str | None = None


class _Location(_Open):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class _Contact(_Open):
    name: str | None = None
    phone_number: str | None = None


class _Message(_Open):
    type: str
    text: str | None = None
    tracking_data: str | None = None
    location: _Location | None = None
    contact: _Contact | None = None


class ViberCallbackShape(_Open):
    event: str
    message_token: int | str | None = None
    user_id: str | None = None
    user: _User | None = None
    sender: _User | None = None
    message: _Message | None = None
    subscribed: bool | None = None
    desc: str | None = None


def well_formed(body: bytes) -> bool:
    """Whether `body` is a Viber callback of the right shape (see the module notes)."""
    try:
        ViberCallbackShape.model_validate_json(body)
    except ValidationError:
        return False
    return True
