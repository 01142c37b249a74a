"""Response and request bodies of the JSON API (they make the OpenAPI schema precise)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from .authz import KINDS, ROLES

Kind = Literal[KINDS]  # type: ignore[valid-type]
Role = Literal[ROLES]  # type: ignore[valid-type]


class ProblemOut(BaseModel):
    entity: str
    id: str | None
    field: str
    value: Any = None
    expected: str
    message: str


class ValidationFailure(BaseModel):
    detail: str
    problems: list[ProblemOut]


class RequestInvalid(BaseModel):
    """FastAPI's own 422: the request does not fit the declared parameters or body."""
    detail: list[dict[str, Any]]


class ErrorOut(BaseModel):
    detail: str


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class Me(BaseModel):
    username: str
    role: Role
    unit: str | None
    owner: str | None
    csrf_token: str


class ScenarioOut(BaseModel):
    id: int
    name: str
    unit: str
    version: int
    created_at: datetime
    created_by: str
    source: str
    planning_time: str | None = None
    counts: dict[str, int] = {}


class RecordOut(BaseModel):
    kind: Kind
    key: str
    version: int
    data: dict[str, Any]
    updated_at: datetime
    updated_by: str


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Field(min_length=10, max_length=200)
    role: Role
    unit: str | None = Field(default=None, max_length=80)
    owner: str | None = Field(default=None, max_length=120, pattern=r"^(escort|medic|vehicle):[^\s]+$")
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")


class UserUpdate(BaseModel):
    role: Role
    unit: str | None = Field(default=None, max_length=80)
    owner: str | None = Field(default=None, max_length=120, pattern=r"^(escort|medic|vehicle):[^\s]+$")
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    active: bool = True
    password: str | None = Field(default=None, min_length=10, max_length=200)


class UserOut(BaseModel):
    id: int
    username: str
    role: Role
    unit: str | None
    owner: str | None
    email: str | None
    active: bool
    version: int


class ContactIn(BaseModel):
    email: str = Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")


class ContactOut(BaseModel):
    owner: str
    email: str
    version: int


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]
