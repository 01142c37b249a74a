"""Creating accounts: one piece of code for the JSON API and the admin page."""
from __future__ import annotations

from sqlalchemy.orm import Session

from . import audit
from .auth import hash_password
from .models import User
from .schemas import UserIn


def create_user(session: Session, body: UserIn, actor: str) -> User:
    """Add the account in the caller's transaction; a taken username raises IntegrityError at flush."""
    user = User(username=body.username, password_hash=hash_password(body.password), role=body.role,
                unit=body.unit, owner=body.owner, email=body.email)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, username=user.username, role=user.role)
    return user
