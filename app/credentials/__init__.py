"""Verifiable certificates: PDF with a QR code, Open Badges 3.0 credentials signed with a Data
Integrity proof (eddsa-rdfc-2022), did:key, and Bitstring Status Lists.

Nothing here touches the database: these are functions over data (claims, keys, documents). The
issuing verbs that store certificates live in `app.services.certificates`.

- `codes`: unguessable, case-insensitive certificate codes without look-alike characters.
- `jsonld`: JSON-LD canonicalisation (RDFC-1.0) with contexts loaded only from the copies shipped in
  `contexts/`; any other URL is refused.
- `keys`: the Ed25519 signing key (PEM or JWK, file or variable), did:key, `flask credentials keygen`.
- `integrity`: sign and verify Data Integrity proofs (cryptosuite eddsa-rdfc-2022).
- `statuslist`: encode and decode Bitstring Status Lists; the status list credential.
- `ob3`: the OpenBadgeCredential, the achievement definition and the issuer profile.
- `pdf`: the A4 landscape PDF (fpdf2, segno QR code, DejaVu Sans shipped in `fonts/`).
"""
