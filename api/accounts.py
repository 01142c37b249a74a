"""Account changes: one piece of code for the JSON API and the admin page, with the two-person rule.

Separation of duties for planner-admins:

* an admin cannot change their own role, unit, calendar link or active flag (``OwnAccount``);
* a change that can open case data or account administration takes effect only when a *second*
  planner-admin confirms it (neither the one who asked, nor the account's own holder): creating an
  account with role regievoerder, inspector or planner-admin; any change of role or unit; setting
  the password of, or re-activating, such an account. Everything else applies at once;
* every change to an account (and to a person's feed link) is shown to the person it concerns
  (``changes_for``: ``GET /api/session`` and their page).

The operator's CLI (``vertrekplanner user``) is the bootstrap route and writes directly (actor "cli").
"""
from __future__ import annotations

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import audit
from .auth import end_other_sessions, hash_password
from .authz import ADMIN, INSPECTOR, REGIE
from .models import AuditEntry, PendingChange, User, utcnow
from .scenarios import StaleWrite
from .schemas import UserIn

PRIVILEGED = (REGIE, INSPECTOR, ADMIN)  # roles that read case data or administer accounts
FIELDS = ("role", "unit", "owner", "email", "active")


class OwnAccount(Exception):
    """403: an admin tried to change their own role, unit, link or active flag."""
    message = "U kunt uw eigen rol, eenheid, koppeling of actief-status niet wijzigen; vraag een andere beheerder."


class ChangeRefused(Exception):
    """The pending change cannot be confirmed or rejected (status code and Dutch message)."""
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _needs_second_admin(before: User | None, values: dict) -> bool:
    if before is None:
        return values["role"] in PRIVILEGED
    if values["role"] != before.role or values["unit"] != before.unit:
        return True
    if before.role not in PRIVILEGED:
        return False
    return "password_hash" in values or (values["active"] and not before.active)


def _request(session: Session, action: str, user: User | None, username: str, values: dict,
             actor: str) -> PendingChange:
    row = PendingChange(action=action, user_id=user.id if user else None, username=username,
                        payload=dict(values, version=user.version if user else None), requested_by=actor)
    session.add(row)
    session.flush()
    audit.record(session, actor, "user.change_requested", "user", user.id if user else username,
                 pending=row.id, username=username, fields=shown_changes(row.payload))
    return row


def shown_changes(payload: dict) -> dict:
    """The requested values as an admin may see them: a password only as 'nieuw'."""
    shown = {k: payload[k] for k in FIELDS if k in payload}
    if "password_hash" in payload:
        shown["password"] = "nieuw"
    return shown


def create_user(session: Session, body: UserIn, actor: str) -> User | PendingChange:
    """Add the account in the caller's transaction (a taken username raises IntegrityError at flush),
    or a pending change when the role needs a second admin."""
    values = dict(role=body.role, unit=body.unit, owner=body.owner, email=body.email, active=True,
                  password_hash=hash_password(body.password))
    if _needs_second_admin(None, values):
        if session.scalar(select(User.id).where(User.username == body.username)) is not None:
            raise IntegrityError("username taken", None, Exception(body.username))
        return _request(session, "create", None, body.username, values, actor)
    return _create(session, body.username, values, actor)


def _create(session: Session, username: str, values: dict, actor: str) -> User:
    user = User(username=username, **{k: values[k] for k in FIELDS}, password_hash=values["password_hash"])
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, username=user.username, role=user.role)
    return user


def update_user(session: Session, user: User, values: dict, actor_id: int, actor: str) -> User | PendingChange:
    """Apply ``values`` (FIELDS, and ``password_hash`` for a reset) or ask a second admin for them.
    The caller checked the version (If-Match) and locks nothing else."""
    if user.id == actor_id and any(values[k] != getattr(user, k) for k in ("role", "unit", "owner", "active")):
        raise OwnAccount()
    if _needs_second_admin(user, values):
        return _request(session, "update", user, user.username, values, actor)
    _apply(session, user, values, actor)
    return user


def _apply(session: Session, user: User, values: dict, actor: str) -> None:
    changed = {k: values[k] for k in (*FIELDS, "password_hash") if k in values}
    # Compare-and-set on the version: a concurrent change of the account makes this one stale.
    done = session.execute(update(User).where(User.id == user.id, User.version == user.version)
                           .values(**changed, version=user.version + 1))
    if done.rowcount != 1:
        raise StaleWrite(user.version)
    session.refresh(user)
    if "password_hash" in values:
        end_other_sessions(session, user.id)  # a reset ends every session of the account
    audit.record(session, actor, "user.update", "user", user.id, fields=sorted(k for k in FIELDS if k in values),
                 password_changed="password_hash" in values)


def decide(session: Session, change_id: int, actor: str, confirm: bool) -> PendingChange:
    """Confirm (apply) or reject a pending change, as a second planner-admin."""
    row = session.get(PendingChange, change_id) if 0 < change_id < 2**31 else None
    if row is None:
        raise ChangeRefused(404, "Deze aanvraag bestaat niet")
    if row.status != "pending":
        raise ChangeRefused(409, "Deze aanvraag is al afgehandeld")
    if actor in (row.requested_by, row.username):
        raise ChangeRefused(403, "Een tweede beheerder moet dit bevestigen: niet wie het vroeg, "
                                 "en niet de houder van het account zelf")
    if confirm:
        if row.action == "create":
            if session.scalar(select(User.id).where(User.username == row.username)) is not None:
                raise ChangeRefused(409, f"Gebruikersnaam {row.username!r} bestaat al")
            user = _create(session, row.username, row.payload, actor)
            row.user_id = user.id
        else:
            user = session.get(User, row.user_id)
            if user is None or user.version != row.payload.get("version"):
                raise ChangeRefused(409, "Het account is intussen gewijzigd; vraag de wijziging opnieuw aan")
            _apply(session, user, row.payload, actor)
    row.status, row.decided_by, row.decided_at = ("confirmed" if confirm else "rejected"), actor, utcnow()
    audit.record(session, actor, "user.change_" + row.status, "user", row.user_id or row.username,
                 pending=row.id, requested_by=row.requested_by)
    return row


def pending(session: Session) -> list[PendingChange]:
    return list(session.scalars(select(PendingChange).where(PendingChange.status == "pending")
                                .order_by(PendingChange.id)))


# What a person is shown about their own account: changes made by others.
SHOWN_ACTIONS = ("user.create", "user.update", "user.put", "user.change_requested", "user.change_confirmed",
                 "user.change_rejected", "login.unlock")


def changes_for(session: Session, user_id: int, username: str, feed_owner: str | None, limit: int = 20) -> list:
    where = and_(AuditEntry.entity == "user", AuditEntry.entity_id == str(user_id),
                 AuditEntry.action.in_(SHOWN_ACTIONS))
    if feed_owner:
        where = or_(where, and_(AuditEntry.entity == "feed", AuditEntry.entity_id == feed_owner))
    return list(session.scalars(select(AuditEntry).where(where, AuditEntry.actor != username)
                                .order_by(AuditEntry.id.desc()).limit(limit)))
