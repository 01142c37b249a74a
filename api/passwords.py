"""The password policy: one function for the API, the admin page and the CLI.

A password must be at least 12 characters, must not contain the username (of 3 or more characters), must not be one of the
30,000 most common passwords, and must score at least 3 ("safely unguessable") in zxcvbn, which
also catches repeats, keyboard runs, sequences, dates and common words with a digit added. The
common-password list and the scoring are zxcvbn's (a maintained library), not a list of our own.
"""
from __future__ import annotations

from functools import lru_cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
MIN_SCORE = 3
_SCORED_CHARS = 72  # zxcvbn refuses longer input; a longer password is judged by its start


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def problems(password: str, username: str | None) -> list[str]:
    """What is wrong with the password, in Dutch, one message per broken rule (empty: acceptable)."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(f"het wachtwoord moet minstens {MIN_LENGTH} tekens hebben")
    name = (username or "").strip().lower()
    # Very short usernames ("jo") are only refused as the whole password, not as a part of it.
    if name and (name == password.lower() or (len(name) >= 3 and name in password.lower())):
        found.append("het wachtwoord mag de gebruikersnaam niet bevatten")
    if password.lower() in _common():
        found.append("dit wachtwoord staat in de lijst van veelgebruikte wachtwoorden")
    if not found and zxcvbn(password[:_SCORED_CHARS], user_inputs=[name] if name else [])["score"] < MIN_SCORE:
        found.append("het wachtwoord is te makkelijk te raden (herhaling, reeks, datum of bekend woord); "
                     "kies een langere zin of meer verschillende woorden")
    return found


class WeakPassword(ValueError):
    def __init__(self, found: list[str]):
        super().__init__("Wachtwoord geweigerd: " + "; ".join(found))
        self.problems = found


def check(password: str, username: str | None) -> None:
    found = problems(password, username)
    if found:
        raise WeakPassword(found)
