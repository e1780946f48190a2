"""The Ed25519 key that signs credentials, and did:key.

The key is read from configuration: `CREDENTIAL_SIGNING_KEY` (the key itself, PEM or JWK) or
`CREDENTIAL_KEY_FILE` (a path to a PEM or JWK file). Without either, development (`APP_ENV` =
`development`) creates one once in `instance/credential-signing-key.pem`; any other environment
refuses to issue, so production never signs with a key nobody chose.

The public key is published as a `did:key` (multicodec ed25519-pub 0xed01, multibase base58btc),
which any verifier resolves offline: the verification method is `did:key:z6Mk...#z6Mk...`.
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
from dataclasses import dataclass

import base58
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519_PUB_PREFIX = b"\xed\x01"
DEV_KEY_NAME = "credential-signing-key.pem"


class KeyNotConfigured(Exception):
    """No signing key is configured where one is required."""


class UnresolvableKey(ValueError):
    """A verification method that does not name an Ed25519 key this verifier can resolve offline."""


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Inverse of b64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def multibase_key(public: Ed25519PublicKey) -> str:
    """Multibase base58btc of the multicodec-prefixed public key (z6Mk...)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58.b58encode(ED25519_PUB_PREFIX + raw).decode("ascii")


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    """The Ed25519 public key written as multibase base58btc with the ed25519-pub prefix."""
    if not value.startswith("z"):
        raise UnresolvableKey("not multibase base58btc")
    try:
        raw = base58.b58decode(value[1:])
    except ValueError as error:
        raise UnresolvableKey("bad base58") from error
    if len(raw) != 34 or raw[:2] != ED25519_PUB_PREFIX:
        raise UnresolvableKey("not an Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def resolve_verification_method(method: str) -> Ed25519PublicKey:
    """The public key of a verification method whose fragment is the multibase key itself.

    That covers `did:key:z6Mk...#z6Mk...` (where the DID must name the same key) and, as in the
    OB 3.0 Implementation Guide's vector, `https://issuer.example/...#z6Mk...`.
    """
    base, _, fragment = method.partition("#")
    if base.startswith("did:key:"):
        identifier = base[len("did:key:") :]
        if fragment and fragment != identifier:
            raise UnresolvableKey("did:key fragment names another key")
        return public_key_from_multibase(identifier)
    if not fragment:
        raise UnresolvableKey("no key in the verification method")
    return public_key_from_multibase(fragment)


@dataclass(frozen=True)
class SigningKey:
    """A private key with the identifiers verifiers see."""

    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def multibase(self) -> str:
        return multibase_key(self.public)

    @property
    def did(self) -> str:
        return "did:key:" + self.multibase

    @property
    def verification_method(self) -> str:
        return f"{self.did}#{self.multibase}"


def generate() -> SigningKey:
    """A new random Ed25519 key."""
    return SigningKey(Ed25519PrivateKey.generate())


def to_pem(key: SigningKey) -> str:
    """PKCS#8 PEM, unencrypted (protect the file with its permissions)."""
    return key.private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def to_jwk(key: SigningKey) -> str:
    """The private key as a JWK (RFC 8037 OKP)."""
    raw = key.private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    pub = key.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return json.dumps({"kty": "OKP", "crv": "Ed25519", "x": b64url(pub), "d": b64url(raw)})


def parse(text: str) -> SigningKey:
    """A key from PEM (PKCS#8) or JWK text."""
    text = text.strip()
    if text.startswith("{"):
        jwk = json.loads(text)
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or "d" not in jwk:
            raise ValueError("the JWK is not an Ed25519 private key")
        return SigningKey(Ed25519PrivateKey.from_private_bytes(b64url_decode(jwk["d"])))
    private = serialization.load_pem_private_key(text.encode("ascii"), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise ValueError("the PEM key is not an Ed25519 private key")
    return SigningKey(private)


def write_new(path: pathlib.Path, fmt: str = "pem") -> SigningKey:
    """Create a key file readable by its owner only; refuses to overwrite."""
    key = generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(to_jwk(key) if fmt == "jwk" else to_pem(key))
    return key


def from_config(config, instance_path: str) -> SigningKey:
    """The configured signing key; a development key made once in instance/; otherwise refuse."""
    if config.get("CREDENTIAL_SIGNING_KEY"):
        return parse(config["CREDENTIAL_SIGNING_KEY"])
    if config.get("CREDENTIAL_KEY_FILE"):
        return parse(pathlib.Path(config["CREDENTIAL_KEY_FILE"]).read_text(encoding="ascii"))
    if config.get("APP_ENV") == "development":
        path = pathlib.Path(instance_path) / DEV_KEY_NAME
        if path.exists():
            return parse(path.read_text(encoding="ascii"))
        try:
            return write_new(path)
        except FileExistsError:  # another worker made it first
            return parse(path.read_text(encoding="ascii"))
    raise KeyNotConfigured(
        "No credential signing key is configured: set CREDENTIAL_KEY_FILE (a PEM or JWK Ed25519 "
        "private key; `flask credentials keygen` writes one) or CREDENTIAL_SIGNING_KEY. Certificates "
        "are not issued without it."
    )
