"""Keeping the Polly token out of every message: whatever an error says, the token's text never reaches a
terminal or a log."""

from __future__ import annotations

import os

TOKEN_ENV = "POLLY_REFRESH_TOKEN"
MASK = "***"


def redact(text: str) -> str:
    """`text` with the token (as set, and without its surrounding white space) masked, also in repr form."""
    raw = os.environ.get(TOKEN_ENV) or ""
    for secret in sorted({raw, raw.strip(), repr(raw)[1:-1], repr(raw.strip())[1:-1]}, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, MASK)
    return text


class TokenFormatError(ValueError):
    """The token holds characters no HTTP header can carry; the message never quotes it."""


def clean_token(token: str) -> str:
    """The token without the white space a paste from a file adds (a trailing CR or CRLF); any other control or
    non-ASCII character is refused without showing the token."""
    cleaned = token.strip()
    bad = [c for c in cleaned if not (c.isascii() and c.isprintable()) or c.isspace()]
    if bad:
        names = ", ".join(sorted({f"U+{ord(c):04X}" for c in bad}))
        raise TokenFormatError(f"${TOKEN_ENV} holds characters a token cannot have ({names}); set it again")
    return cleaned


class Secret:
    """A value that never shows itself: not in repr or str, not in `vars()` of what holds it, not in a pickle."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({MASK})"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a secret is not pickled: it would be written out in clear")
