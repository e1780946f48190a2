"""Data Integrity proofs with the cryptosuite eddsa-rdfc-2022 (W3C VC Data Integrity EdDSA 1.0).

To sign: canonicalise the proof options (with the document's @context) and the document without
its proof with RDFC-1.0, hash each with SHA-256, sign hash(options) + hash(document) with Ed25519,
and write the signature as multibase base58btc in `proofValue`. Verifying redoes the same with the
public key resolved offline from `verificationMethod`.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

import base58
from cryptography.exceptions import InvalidSignature
from pyld.jsonld import JsonLdError

from app.credentials.jsonld import canonicalize
from app.credentials.keys import SigningKey, UnresolvableKey, multibase_key, resolve_verification_method

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"


def _hash_data(document: dict, options: dict) -> bytes:
    options = dict(options)
    options["@context"] = document["@context"]
    return (
        hashlib.sha256(canonicalize(options).encode("utf-8")).digest()
        + hashlib.sha256(canonicalize(document).encode("utf-8")).digest()
    )


def xsd_datetime(moment: datetime) -> str:
    """An xsd:dateTime in UTC with a Z, to the second."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign(document: dict, key: SigningKey, created: datetime, purpose: str = "assertionMethod") -> dict:
    """A copy of the document with a Data Integrity proof appended (as a one-element list)."""
    unsigned = copy.deepcopy(document)
    unsigned.pop("proof", None)
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": xsd_datetime(created),
        "verificationMethod": key.verification_method,
        "proofPurpose": purpose,
    }
    signature = key.private.sign(_hash_data(unsigned, options))
    signed = copy.deepcopy(unsigned)
    signed["proof"] = [{**options, "proofValue": "z" + base58.b58encode(signature).decode("ascii")}]
    return signed


@dataclass
class Verification:
    """The outcome of checking a document's proof."""

    verified: bool
    key: str | None = None  # the signer's public key, multibase
    errors: list[str] = field(default_factory=list)


def verify(document: dict) -> Verification:
    """Check the document's (single) eddsa-rdfc-2022 proof; never raises on bad input."""
    if not isinstance(document, dict) or "proof" not in document or "@context" not in document:
        return Verification(False, errors=["no proof"])
    proofs = document["proof"] if isinstance(document["proof"], list) else [document["proof"]]
    if len(proofs) != 1 or not isinstance(proofs[0], dict):
        return Verification(False, errors=["expected exactly one proof"])
    options = dict(proofs[0])
    if options.get("type") != PROOF_TYPE or options.get("cryptosuite") != CRYPTOSUITE:
        return Verification(False, errors=["unsupported proof type or cryptosuite"])
    value = options.pop("proofValue", "")
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    try:
        public = resolve_verification_method(str(options.get("verificationMethod", "")))
        if not isinstance(value, str) or not value.startswith("z"):
            raise ValueError("proofValue is not multibase base58btc")
        signature = base58.b58decode(value[1:])
        public.verify(signature, _hash_data(unsigned, options))
    except UnresolvableKey as error:
        return Verification(False, errors=[f"verification method: {error}"])
    except InvalidSignature:
        return Verification(False, key=multibase_key(public), errors=["signature does not match"])
    except (JsonLdError, ValueError, TypeError, KeyError) as error:
        return Verification(False, errors=[f"cannot canonicalise: {error}"])
    return Verification(True, key=multibase_key(public))
