"""Open Badges 3.0 documents: the OpenBadgeCredential of a certificate, the achievement definition
and the issuer profile, each on the Verifiable Credentials Data Model 2.0.

Every claim sits in a property that the VC 2.0 or OB 3.0 context defines (a term no context defines
is dropped by canonicalisation and so left unsigned; a test expands each credential and checks that
nothing was dropped). The holder is named twice in `credentialSubject.identifier`: the name in plain
text (it is printed on the certificate and shown on the public verification page) and the e-mail
address only as a salted SHA-256 hash, as the OB 3.0 IdentityObject allows.

The achievement is described from the certificate's frozen claims (`claims["achievement"]`):
`key`, `name`, `description`, `criteria` and `hours`; optional `claims["results"]`, a list of
`{"key", "name", "value"}` percentages (the training certificate's best quiz score per module),
become `result` entries described by the achievement's `resultDescription`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from app.credentials.codes import grouped
from app.credentials.integrity import sign, xsd_datetime
from app.credentials.jsonld import OB_V3, VC_V2
from app.credentials.keys import SigningKey

CONTEXT = [VC_V2, OB_V3]


def issuer_id(base_url: str) -> str:
    """The issuer profile's https id."""
    return f"{base_url}/credentials/issuer"


def achievement_id(base_url: str, key: str) -> str:
    """The achievement definition's https id."""
    return f"{base_url}/credentials/achievements/{key}"


def credential_id(base_url: str, code: str) -> str:
    """The credential's https id: where it is served."""
    return f"{base_url}/verify/{grouped(code)}/credential.json"


def identity_hash(value: str, salt: str) -> str:
    """OB 3.0 IdentityHash: 'sha256$' and the hex SHA-256 of the value followed by the salt."""
    return "sha256$" + hashlib.sha256((value + salt).encode("utf-8")).hexdigest()


def issuer_profile(base_url: str, name: str, description: str | None = None) -> dict:
    """The issuer Profile (embedded in credentials, and published at its id)."""
    profile = {"id": issuer_id(base_url), "type": ["Profile"], "name": name, "url": base_url}
    if description:
        profile["description"] = description
    return profile


def achievement(base_url: str, spec: dict, language: str, results: list[dict] | None = None) -> dict:
    """An Achievement from its description (key, name, description, criteria, hours)."""
    ident = achievement_id(base_url, spec["key"])
    data = {
        "id": ident,
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": spec["name"],
        "description": spec["description"],
        "criteria": {"narrative": spec["criteria"]},
        "inLanguage": language,
    }
    if spec.get("hours") is not None:
        data["creditsAvailable"] = float(spec["hours"])
    if results:
        data["resultDescription"] = [
            {
                "id": f"{ident}#{r['key']}",
                "type": ["ResultDescription"],
                "name": r["name"],
                "resultType": "Percent",
                "valueMin": "0",
                "valueMax": "100",
            }
            for r in results
        ]
    return data


def achievement_document(base_url: str, spec: dict, language: str, results: list[dict] | None = None) -> dict:
    """The achievement definition as a JSON-LD document (served at its https id)."""
    return {"@context": CONTEXT, **achievement(base_url, spec, language, results)}


def profile_document(base_url: str, name: str, description: str | None = None) -> dict:
    """The issuer profile as a JSON-LD document (served at its https id)."""
    return {"@context": CONTEXT, **issuer_profile(base_url, name, description)}


def build_credential(
    *,
    base_url: str,
    code: str,
    claims: dict,
    language: str,
    issued_at: datetime,
    issuer_name: str,
    status: dict,
    email: str | None = None,
    salt: str | None = None,
) -> dict:
    """The unsigned OpenBadgeCredential of a certificate."""
    results = claims.get("results") or []
    subject: dict = {"type": ["AchievementSubject"]}
    identifiers = []
    holder = claims.get("holder") or {}
    if holder.get("name"):
        identifiers.append(
            {"type": "IdentityObject", "hashed": False, "identityHash": holder["name"], "identityType": "name"}
        )
    if email and salt:
        identifiers.append(
            {
                "type": "IdentityObject",
                "hashed": True,
                "identityHash": identity_hash(email.strip().lower(), salt),
                "identityType": "emailAddress",
                "salt": salt,
            }
        )
    if identifiers:
        subject["identifier"] = identifiers
    spec = claims["achievement"]
    subject["achievement"] = achievement(base_url, spec, language, results)
    if spec.get("hours") is not None:
        subject["creditsEarned"] = float(spec["hours"])
    if results:
        subject["result"] = [
            {
                "type": ["Result"],
                "resultDescription": f"{achievement_id(base_url, spec['key'])}#{r['key']}",
                "value": f"{float(r['value']):.1f}",
            }
            for r in results
            if r.get("value") is not None
        ]
    document = {
        "@context": CONTEXT,
        "id": credential_id(base_url, code),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": claims["title"],
        "issuer": issuer_profile(base_url, issuer_name),
        "validFrom": xsd_datetime(issued_at),
        "awardedDate": xsd_datetime(issued_at),
        "credentialSubject": subject,
        "credentialStatus": status,
    }
    if claims.get("statement"):
        document["description"] = claims["statement"]
    return document


def signed_credential(key: SigningKey, issued_at: datetime, **kwargs) -> dict:
    """The credential with its eddsa-rdfc-2022 proof."""
    return sign(build_credential(issued_at=issued_at, **kwargs), key, issued_at)
