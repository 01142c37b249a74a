"""Response and request bodies of the JSON API (they make the OpenAPI schema precise)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from . import passwords
from .authz import KINDS, ROLES

Kind = Literal[KINDS]  # type: ignore[valid-type]
Role = Literal[ROLES]  # type: ignore[valid-type]


# An address without control characters: PostgreSQL text cannot hold NUL, and none belongs in a mail header.
EMAIL = r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$"


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


class AccountChange(BaseModel):
    """A change to one's own account made by someone else (from the audit log)."""
    at: datetime
    by: str
    action: str
    detail: dict[str, Any]


class Me(BaseModel):
    username: str
    role: Role
    unit: str | None
    owner: str | None
    csrf_token: str
    changes: list[AccountChange] = Field(default=[], description="recent changes to this account by others")


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=passwords.MIN_LENGTH, max_length=200)


class PendingOut(BaseModel):
    """An account change waiting for a second planner-admin (never shows a password or its hash)."""
    id: int
    action: str
    user_id: int | None
    username: str
    changes: dict[str, Any]
    requested_by: str
    requested_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None


class ScenarioOut(BaseModel):
    id: int
    name: str
    unit: str
    version: int
    created_at: datetime
    created_by: str
    source: str
    planning_time: str | None = None
    counts: dict[str, int] = Field({}, description="entities in the unit's view of the planning book, by kind")
    changes: dict[str, dict[str, int]] = Field({}, description="what this import added, changed and removed, "
                                                               "by kind")


class ImportChange(BaseModel):
    kind: str
    id: str
    action: str = Field(description="add | change | remove")
    fields: list[str] = []
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    identity: list[str] = Field([], description="name, sex or base of a known person: applied only when confirmed")


class ImportPreviewOut(BaseModel):
    unit: str
    revision: int = Field(description="the book's revision previewed; pass it to the import to apply exactly this")
    counts: dict[str, dict[str, int]]
    changes: list[ImportChange]
    identity_changes: list[ImportChange]
    kept: list[str] = Field(description="the unit's departures missing from the file, kept because the published "
                                        "plan plans them (cancel them with a disruption)")
    unchanged: bool


class RecordOut(BaseModel):
    kind: Kind
    key: str
    version: int
    data: dict[str, Any]
    updated_at: datetime
    updated_by: str


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Field(min_length=passwords.MIN_LENGTH, max_length=200)
    role: Role
    unit: str | None = Field(default=None, max_length=80)
    owner: str | None = Field(default=None, max_length=120, pattern=r"^(escort|medic|vehicle):[^\s]+$")
    email: str | None = Field(default=None, max_length=200, pattern=EMAIL)

    @field_validator("password")
    @classmethod
    def _policy(cls, password: str, info: ValidationInfo) -> str:
        found = passwords.problems(password, info.data.get("username"))
        if found:  # a custom error type: its message is shown as is (Dutch) on the page and in the API
            raise PydanticCustomError("password_policy", "; ".join(found))
        return password


class UserUpdate(BaseModel):
    role: Role
    unit: str | None = Field(default=None, max_length=80)
    owner: str | None = Field(default=None, max_length=120, pattern=r"^(escort|medic|vehicle):[^\s]+$")
    email: str | None = Field(default=None, max_length=200, pattern=EMAIL)
    active: bool = True
    password: str | None = Field(default=None, min_length=passwords.MIN_LENGTH, max_length=200,
                                 description="checked against the policy (api/passwords.py) with the account's name")


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
    email: str = Field(max_length=200, pattern=EMAIL)


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
