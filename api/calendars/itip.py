"""iTIP invitations by e-mail (RFC 5546 / RFC 6047) and one-connection SMTP batches.

Feeds are refetched only every few hours; a change must also reach the person as a mail
that their calendar client applies at once: ``METHOD:REQUEST`` for new and changed events
(same UID, higher SEQUENCE) and ``METHOD:CANCEL`` + ``STATUS:CANCELLED`` for cancellations
(a REQUEST with STATUS:CANCELLED would leave the event standing in Outlook and Gmail).

Attendee decision: ``ROLE=REQ-PARTICIPANT; PARTSTAT=ACCEPTED; RSVP=FALSE``. These are duty
assignments from the roster, not questions: RSVP=FALSE asks clients not to send replies (the
service does not read them; objections go to the planning unit), and PARTSTAT=ACCEPTED makes
clients file the duty as busy straight away instead of as a tentative, unanswered meeting.
"""
from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Iterable, Literal

from icalendar import vCalAddress

from planner import timeutil
from planner.outputs.derive import LocalTime
from planner.outputs.ics import calendar_bytes, new_calendar, vevent

from .events import CANCELLED, CONFIRMED, StoredEvent

Method = Literal["REQUEST", "CANCEL"]
Party = tuple[str, str]  # (display name, e-mail address)

_STATUS_OF = {"REQUEST": CONFIRMED, "CANCEL": CANCELLED}
_ADDRESS = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+$")


def _address(email: str) -> str:
    if not _ADDRESS.match(email or ""):
        raise ValueError(f"not a usable e-mail address: {email!r}")
    return email


def _name(name: str) -> str:
    # No line breaks in headers or parameters; a double quote cannot stand in a quoted CN and
    # RFC 6868's ^' escape is shown literally by older Outlook, so it becomes an apostrophe.
    return " ".join((name or "").replace('"', "'").split())


def _cal_address(party: Party, **params: str) -> vCalAddress:
    name, email = party
    addr = vCalAddress(f"mailto:{_address(email)}")
    if _name(name):
        addr.params["CN"] = _name(name)
    for k, v in params.items():
        addr.params[k.upper()] = v
    return addr


def invite(method: Method, event: StoredEvent, organizer: Party, attendee: Party, dtstamp: datetime) -> bytes:
    """The iCalendar object of one iTIP message for one attendee.

    The event's status must match the method (REQUEST: CONFIRMED, CANCEL: CANCELLED), so a
    cancelled event can never go out as a REQUEST that leaves it in place."""
    if method not in _STATUS_OF:
        raise ValueError(f"unsupported iTIP method {method!r}")
    if event.status != _STATUS_OF[method]:
        raise ValueError(f"{method} needs a {_STATUS_OF[method]} event, got {event.status} ({event.key})")
    cal = new_calendar(method)
    ve = vevent(event, event.uid, dtstamp, event.sequence, event.status)
    ve.add("organizer", _cal_address(organizer))
    ve.add("attendee", _cal_address(attendee, cutype="INDIVIDUAL", role="REQ-PARTICIPANT",
                                    partstat="ACCEPTED", rsvp="FALSE"))
    cal.add_component(ve)
    return calendar_bytes(cal, [event])


def _when(dt: datetime) -> str:
    lt = LocalTime(timeutil.minutes(dt), dt, str(getattr(dt.tzinfo, "key", dt.tzname())))
    return f"{lt.nl} {lt.zone_label}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def headline(method: Method, event: StoredEvent) -> str:
    """Dutch subject prefix: a REQUEST with SEQUENCE 0 is new, a later one a change."""
    if method == "CANCEL":
        return "Geannuleerd"
    return "Nieuw" if event.sequence == 0 else "Gewijzigd"


def message(method: Method, event: StoredEvent, organizer: Party, attendee: Party, dtstamp: datetime) -> EmailMessage:
    """One invitation mail: multipart/alternative with a short Dutch text and the
    ``text/calendar; method=…`` part clients act on."""
    body = invite(method, event, organizer, attendee, dtstamp)
    head = headline(method, event)
    start = event.start.strftime("%d-%m-%Y %H:%M")
    lead = {"Nieuw": "Nieuwe dienst in je agenda.",
            "Gewijzigd": "Een dienst in je agenda is gewijzigd; de nieuwe gegevens staan hieronder.",
            "Geannuleerd": "Deze dienst gaat niet door en verdwijnt uit je agenda."}[head]
    text = "\n".join([
        lead, "",
        _one_line(event.summary),
        f"Begin: {_when(event.start)}",
        f"Einde: {_when(event.end)}",
        f"Waar: {_one_line(event.location)}", "",
        event.description, "",
        "Dit is een dienstopdracht; antwoorden is niet nodig.",
        f"Vragen: {_name(organizer[0])} <{organizer[1]}>.", "",
    ])
    msg = EmailMessage()
    msg["Subject"] = f"{head}: {_one_line(event.summary)}, {start}"
    msg["From"] = Address(_name(organizer[0]), addr_spec=_address(organizer[1]))
    msg["To"] = Address(_name(attendee[0]), addr_spec=_address(attendee[1]))
    msg["Date"] = format_datetime(dtstamp.astimezone(timezone.utc))
    msg["Message-ID"] = make_msgid(domain=organizer[1].rsplit("@", 1)[1])
    msg["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to a robot (RFC 3834)
    msg.set_content(text, cte="quoted-printable")  # 7-bit clean: no 8BITMIME needed anywhere
    # base64 keeps the CRLF line ends and the 75-octet folding exactly as written.
    msg.add_alternative(body, maintype="text", subtype="calendar", params={"method": method, "charset": "UTF-8"})
    return msg


# --- SMTP -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender_name: str = "DT&V Vertrekplanner"
    sender_address: str = ""
    timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)  # None: system CAs, hostname checked
    helo_name: str | None = None  # None lets smtplib look up the FQDN, which can take seconds

    def __post_init__(self) -> None:
        if self.security not in ("none", "starttls", "ssl"):
            raise ValueError(f"security must be none, starttls or ssl, not {self.security!r}")
        if self.username and self.password is None:
            raise ValueError("SMTP username without password")

    @property
    def organizer(self) -> Party:
        return (self.sender_name, self.sender_address)


@dataclass(frozen=True)
class SendResult:
    message_id: str | None
    recipients: tuple[str, ...]
    ok: bool
    error: str | None = None
    refused: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # recipient -> (code, reply)


@dataclass(frozen=True)
class Outgoing:
    """A mail as it goes over the wire: its bytes (CRLF line ends) and envelope. The outbox keeps
    these bytes, so a queued mail is sent as stored, never rendered or parsed again."""
    message_id: str | None
    sender: str
    recipients: tuple[str, ...]
    data: bytes

    @classmethod
    def of(cls, msg: EmailMessage) -> "Outgoing":
        return cls(msg.get("Message-ID"), _sender(msg), _recipients(msg), wire_bytes(msg))

    @property
    def international(self) -> bool:
        return _international(self.sender, *self.recipients)


def wire_bytes(msg: EmailMessage) -> bytes:
    """What goes over SMTP, as ``smtplib.send_message`` would write it (these mails have no Bcc):
    CRLF line ends; headers RFC 2047-encoded unless an address itself needs SMTPUTF8."""
    international = _international(_sender(msg), *_recipients(msg))
    return msg.as_bytes(policy=policy.SMTPUTF8 if international else policy.SMTP)


def _sender(msg: EmailMessage) -> str:
    return msg["From"].addresses[0].addr_spec if msg["From"] else ""


def _international(*addresses: str) -> bool:
    return not all(a.isascii() for a in addresses)


def _connect(s: SmtpSettings) -> smtplib.SMTP:
    context = (s.ssl_context or ssl.create_default_context()) if s.security != "none" else None
    if s.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, local_hostname=s.helo_name, timeout=s.timeout,
                                              context=context)
    else:
        smtp = smtplib.SMTP(s.host, s.port, local_hostname=s.helo_name, timeout=s.timeout)
    try:
        if s.security == "starttls":
            smtp.starttls(context=context)  # raises when not offered: never fall back to plain text
        if s.username:
            smtp.login(s.username, s.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _recipients(msg: EmailMessage) -> tuple[str, ...]:
    return tuple(a.addr_spec for h in ("To", "Cc", "Bcc") for v in msg.get_all(h, []) for a in v.addresses)


def send(settings: SmtpSettings, messages: Iterable[Outgoing | EmailMessage]) -> list[SendResult]:
    """Send a batch over one connection; one result per message, in order, never raising
    for a single message. A server that drops the connection (idle or per-connection
    limits) is reconnected once per message; if connecting fails, the rest fail with that
    error instead of each waiting for its own timeout."""
    results: list[SendResult] = []
    smtp: smtplib.SMTP | None = None
    down: str | None = None
    try:
        for item in messages:
            mail = item if isinstance(item, Outgoing) else Outgoing.of(item)
            mid, rcpts = mail.message_id, mail.recipients
            if down:
                results.append(SendResult(mid, rcpts, False, down))
                continue
            for attempt in (1, 2):
                try:
                    if smtp is None:
                        smtp = _connect(settings)
                except (OSError, smtplib.SMTPException) as e:
                    down = f"connection failed: {e!r}"
                    results.append(SendResult(mid, rcpts, False, down))
                    break
                try:
                    refused = smtp.sendmail(settings.sender_address or mail.sender, list(rcpts), mail.data,
                                            ["SMTPUTF8", "BODY=8BITMIME"] if mail.international else [])
                except smtplib.SMTPServerDisconnected as e:
                    smtp = None
                    if attempt == 1:
                        continue  # a resend at worst duplicates it; same UID and SEQUENCE is harmless
                    results.append(SendResult(mid, rcpts, False, repr(e)))
                except smtplib.SMTPRecipientsRefused as e:
                    results.append(SendResult(mid, rcpts, False, "all recipients refused", dict(e.recipients)))
                except (smtplib.SMTPException, OSError, ValueError) as e:
                    # Refused sender or data, or a message that cannot be encoded: this message
                    # fails; smtplib has reset the transaction (or closed on 421).
                    results.append(SendResult(mid, rcpts, False, repr(e)))
                    # A socket error leaves the session in an unknown state (SMTPException is an
                    # OSError too, but after those smtplib has reset or closed it properly).
                    if not isinstance(e, smtplib.SMTPException) or getattr(smtp, "sock", None) is None:
                        _close(smtp)
                        smtp = None
                else:
                    results.append(SendResult(mid, rcpts, not refused, "some recipients refused" if refused else None,
                                              dict(refused)))
                break
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                _close(smtp)
    return results


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.close()
        except OSError:
            pass
