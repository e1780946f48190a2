"""W3C Bitstring Status List (Recommendation, 15 May 2025).

The list is a bitstring of at least 131,072 entries (16 KB, so that one credential cannot be singled
out by the list's size), GZIP-compressed and written as multibase base64url (`u...`). Index 0 is the
left-most bit: the most significant bit of the first byte. A set bit means the credential at that
index has the status of the list's purpose (here: revoked).
"""

from __future__ import annotations

import gzip
from datetime import datetime

from app.credentials.integrity import sign, xsd_datetime
from app.credentials.jsonld import VC_V2
from app.credentials.keys import SigningKey, b64url, b64url_decode

MIN_ENTRIES = 131_072
PURPOSE_REVOCATION = "revocation"


def encode(indexes, size: int = MIN_ENTRIES) -> str:
    """The encodedList for a list of `size` entries with the given indexes set."""
    if size < MIN_ENTRIES or size % 8:
        raise ValueError("a status list has at least 131,072 entries, a whole number of bytes")
    bits = bytearray(size // 8)
    for index in indexes:
        if not 0 <= index < size:
            raise ValueError(f"index {index} outside the list")
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + b64url(gzip.compress(bytes(bits), mtime=0))


def decode(encoded: str) -> bytes:
    """The raw bitstring of an encodedList."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url ('u' prefix)")
    return gzip.decompress(b64url_decode(encoded[1:]))


def is_set(encoded_or_bits: str | bytes, index: int) -> bool:
    """Whether the bit at `index` (0 = left-most) is set."""
    bits = decode(encoded_or_bits) if isinstance(encoded_or_bits, str) else encoded_or_bits
    if not 0 <= index < len(bits) * 8:
        raise ValueError(f"index {index} outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def entry(list_url: str, index: int) -> dict:
    """The credentialStatus of a credential at `index` of a revocation list."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE_REVOCATION,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(
    list_url: str, issuer_id: str, indexes, key: SigningKey, now: datetime, size: int = MIN_ENTRIES
) -> dict:
    """The signed BitstringStatusListCredential for a revocation list."""
    document = {
        "@context": [VC_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": xsd_datetime(now),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE_REVOCATION,
            "encodedList": encode(indexes, size),
        },
    }
    return sign(document, key, now)
