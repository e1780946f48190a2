"""Certificate codes: 80 random bits written in Crockford's base32, in four groups of four.

Crockford's alphabet leaves out I, L, O and U, so no two of its characters look alike; when a code
is typed, letters are folded to upper case, O is read as 0 and I or L as 1, and spaces and dashes
are ignored. Sixteen characters of five bits each carry exactly 80 bits from the operating
system's CSPRNG.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
_FOLD = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """A fresh code (normalised form, 16 characters, 80 bits of entropy)."""
    number = int.from_bytes(secrets.token_bytes(LENGTH * 5 // 8), "big")
    chars = []
    for _ in range(LENGTH):
        number, digit = divmod(number, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def normalise(text: str) -> str | None:
    """The stored form of a typed code, or None when it cannot be a code."""
    code = "".join(text.split()).replace("-", "").upper().translate(_FOLD)
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def grouped(code: str) -> str:
    """The printed form: four groups of four separated by dashes."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
