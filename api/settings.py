"""Service settings, read from the environment once, with embedded defaults.

The defaults run the whole service on one machine with nothing else installed: a SQLite file
in ./var, one worker process started by the web process, and mail written to no server
(SMTP_HOST unset). Production sets DATABASE_URL to PostgreSQL and runs workers separately.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path



def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _secret_key(data_dir: Path) -> str:
    """SECRET_KEY from the environment, else a random key kept in the data folder.

    The key signs feed tokens: losing it invalidates every feed URL, so it is never regenerated
    when the file exists.
    """
    given = _env("SECRET_KEY")
    if given:
        return given
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    data_dir: Path
    public_url: str = "http://127.0.0.1:8000"
    # SMTP for iTIP invites; no host: invites are recorded in the outbox but not sent.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_security: str = "none"  # none | starttls | ssl
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from_name: str = "Regie Bijzonder Vertrek"
    mail_from_address: str = "regie-bv@vertrekplanner.invalid"
    max_request_bytes: int = 25 * 1024 * 1024  # the eu scenario is 3.4 MB as JSON
    session_hours: int = 12
    secure_cookies: bool = False  # True behind HTTPS
    job_stale_seconds: float = 15.0  # a running job without a heartbeat this long has lost its worker
    worker_silent_seconds: float = 30.0  # no worker seen this long: job pages say no solve will start
    embedded_worker: bool = True  # the web process starts one worker process (SQLite default)
    solve_time_limit: float = 60.0
    retention_days: int = 90  # a departure's personal fields are removed this long after its handover
    unit_contacts: str | None = None  # JSON file of planning unit -> contact block (api/units.py)

    @classmethod
    def from_env(cls) -> "Settings":
        data_dir = Path(_env("VERTREKPLANNER_DATA", "var")).resolve()
        url = _env("DATABASE_URL", f"sqlite:///{data_dir / 'vertrekplanner.db'}")
        return cls(
            database_url=normalise_url(url),
            secret_key=_secret_key(data_dir),
            data_dir=data_dir,
            public_url=_env("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            smtp_host=_env("SMTP_HOST"),
            smtp_port=int(_env("SMTP_PORT", "25")),
            smtp_security=_env("SMTP_SECURITY", "none"),
            smtp_username=_env("SMTP_USERNAME"),
            smtp_password=_env("SMTP_PASSWORD"),
            mail_from_name=_env("MAIL_FROM_NAME", "Regie Bijzonder Vertrek"),
            mail_from_address=_env("MAIL_FROM_ADDRESS", "regie-bv@vertrekplanner.invalid"),
            max_request_bytes=int(_env("MAX_REQUEST_BYTES", str(25 * 1024 * 1024))),
            secure_cookies=_env("SECURE_COOKIES", "0") == "1",
            job_stale_seconds=float(_env("JOB_STALE_SECONDS", "15")),
            worker_silent_seconds=float(_env("WORKER_SILENT_SECONDS", "30")),
            embedded_worker=_env("EMBEDDED_WORKER", "1") == "1",
            solve_time_limit=float(_env("SOLVE_TIME_LIMIT", "60")),
            retention_days=int(_env("RETENTION_DAYS", "90")),
            unit_contacts=_env("UNIT_CONTACTS"),
        )

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


def normalise_url(url: str) -> str:
    """postgresql:// means psycopg 3 here (psycopg2 is not a dependency)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url
