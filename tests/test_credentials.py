"""The credentials package on its own: codes, keys, Data Integrity proofs, status lists, OB 3.0."""

import copy
import json
import pathlib
import re
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft201909Validator
from pyld import jsonld as pyld_jsonld
from pyld.jsonld import JsonLdError

from app.credentials import codes, integrity, jsonld, keys, ob3, statuslist

STANDARDS = pathlib.Path(__file__).parent / "fixtures" / "standards"
WHEN = datetime(2026, 11, 25, 15, 30, tzinfo=timezone.utc)


def _fixture(name):
    return json.loads((STANDARDS / name).read_text(encoding="utf-8"))


def schema_errors(document):
    """Errors of a credential against 1EdTech's OB 3.0 JSON Schema."""
    validator = Draft201909Validator(_fixture("ob_v3p0_achievementcredential_schema.json"))
    return sorted(error.message for error in validator.iter_errors(document))


def _keys(node, out):
    if isinstance(node, dict):
        for key, value in node.items():
            out.add(key)
            _keys(value, out)
    elif isinstance(node, list):
        for item in node:
            _keys(item, out)
    return out


def dropped_terms(document):
    """Keys of a document that no context defines: JSON-LD expansion drops them (so they go unsigned),
    and compacting the expanded form with the same contexts does not bring them back."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    compacted = pyld_jsonld.compact(
        jsonld.expand(unsigned), {"@context": unsigned["@context"]}, {"documentLoader": jsonld.document_loader}
    )
    return sorted(_keys(unsigned, set()) - _keys(compacted, set()))


CLAIMS = {
    "heading": "Programa",
    "title": "Certificado de capacitación",
    "subject": "Íñigo Peña",
    "statement": "Íñigo Peña completó la capacitación.",
    "lines": ["Módulo 1: 10 horas"],
    "holder": {"name": "Íñigo Peña", "area": "Salud"},
    "issuer": {"name": "OIM, programa MigraCiudades"},
    "achievement": {
        "key": "training",
        "name": "Capacitación",
        "description": "Cuatro módulos.",
        "criteria": "Completar y aprobar cada módulo.",
        "hours": 40,
    },
    "results": [{"key": "basico", "name": "Mejor puntaje: Básico", "value": 87.5}],
}


def _credential(key, code="K7Q49MXD2HPAW3RT"):
    return ob3.signed_credential(
        key,
        WHEN,
        base_url="https://campus.example.org",
        code=code,
        claims=CLAIMS,
        language="es",
        issuer_name=CLAIMS["issuer"]["name"],
        email="Inigo@Example.org",
        salt="abc123",
        status=statuslist.entry("https://campus.example.org/status/revocation/1", 4242),
    )


# --------------------------------------------------------------------------- codes


def test_codes_have_80_random_bits_in_four_groups_without_look_alikes():
    seen = {codes.new_code() for _ in range(2000)}
    assert len(seen) == 2000
    for code in list(seen)[:50]:
        assert len(code) == 16 and set(code) <= set(codes.ALPHABET)
        assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", codes.grouped(code))
    assert not set("ILOU") & set(codes.ALPHABET)
    assert len(codes.ALPHABET) ** codes.LENGTH >= 2**80


def test_typed_codes_ignore_case_dashes_spaces_and_look_alikes():
    assert codes.normalise("k7q4-9mxd-2hpa-w3rt") == "K7Q49MXD2HPAW3RT"
    assert codes.normalise(" K7Q4 9MXD 2HPA W3RT ") == "K7Q49MXD2HPAW3RT"
    assert codes.normalise("O1IL-0000-0000-0000") == "0111000000000000"
    assert codes.normalise("K7Q4-9MXD-2HPA") is None
    assert codes.normalise("K7Q4-9MXD-2HPA-W3RU") is None, "U is not in the alphabet"
    assert codes.normalise("'; DROP TABLE--") is None


# --------------------------------------------------------------------------- keys


def test_keys_round_trip_through_pem_and_jwk_and_resolve_as_did_key():
    key = keys.generate()
    assert keys.parse(keys.to_pem(key)).multibase == key.multibase
    assert keys.parse(keys.to_jwk(key)).multibase == key.multibase
    assert key.multibase.startswith("z6Mk")
    assert key.verification_method == f"did:key:{key.multibase}#{key.multibase}"
    assert keys.multibase_key(keys.resolve_verification_method(key.verification_method)) == key.multibase
    with pytest.raises(keys.UnresolvableKey):
        keys.resolve_verification_method(f"did:key:{key.multibase}#{keys.generate().multibase}")
    with pytest.raises(keys.UnresolvableKey):
        keys.resolve_verification_method("https://issuer.example/keys/1")


def test_production_refuses_without_a_key_and_development_makes_one_once(tmp_path):
    with pytest.raises(keys.KeyNotConfigured, match="CREDENTIAL_KEY_FILE"):
        keys.from_config({"APP_ENV": "production"}, str(tmp_path))
    first = keys.from_config({"APP_ENV": "development"}, str(tmp_path))
    again = keys.from_config({"APP_ENV": "development"}, str(tmp_path))
    assert first.multibase == again.multibase
    assert (tmp_path / keys.DEV_KEY_NAME).stat().st_mode & 0o077 == 0, "the key file is private"
    jwk_file = tmp_path / "key.jwk"
    made = keys.write_new(jwk_file, "jwk")
    assert (
        keys.from_config({"APP_ENV": "production", "CREDENTIAL_KEY_FILE": str(jwk_file)}, "/nonexistent").multibase
        == made.multibase
    )
    with pytest.raises(FileExistsError):
        keys.write_new(jwk_file)


# --------------------------------------------------------------------------- Data Integrity


def test_the_implementation_guide_vector_verifies_and_a_tampered_copy_fails():
    vector = _fixture("impl-guide-signed-eddsa-rdfc-2022.json")
    assert integrity.verify(vector).verified
    for change in (
        lambda d: d.update(name="Teamwork Badge!"),
        lambda d: d["credentialSubject"]["achievement"]["criteria"].update(narrative="Anyone."),
        lambda d: d.update(validFrom="2010-01-02T00:00:00Z"),
        lambda d: d["proof"].update(created="2010-01-01T19:23:25Z"),
    ):
        tampered = copy.deepcopy(vector)
        change(tampered)
        assert not integrity.verify(tampered).verified


def test_the_validators_status_list_fixture_verifies_and_has_index_23_set():
    status = _fixture("validator-bitstring-testlist.json")
    assert integrity.verify(status).verified
    encoded = status["credentialSubject"]["encodedList"]
    assert statuslist.is_set(encoded, 23)
    assert not statuslist.is_set(encoded, 22) and not statuslist.is_set(encoded, 24)
    revoked = _fixture("validator-bitstring-revoked.json")
    assert integrity.verify(revoked).verified
    assert int(revoked["credentialStatus"]["statusListIndex"]) == 23


def test_our_credentials_validate_against_the_schema_and_verify():
    key = keys.generate()
    credential = _credential(key)
    assert schema_errors(credential) == []
    result = integrity.verify(credential)
    assert result.verified and result.key == key.multibase
    assert credential["@context"][:2] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["id"].startswith("https://")
    assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert credential["proof"][0]["verificationMethod"].startswith("did:key:z6Mk")


def test_every_claim_of_our_credential_is_a_defined_term():
    credential = _credential(keys.generate())
    assert dropped_terms(credential) == []
    assert dropped_terms({**credential, "holderNickname": "x"}) == ["holderNickname"], "the check can fail"


def test_the_email_is_hashed_with_salt_and_never_written_plain():
    credential = _credential(keys.generate())
    text = json.dumps(credential)
    assert "inigo@example.org" not in text.lower()
    email = next(i for i in credential["credentialSubject"]["identifier"] if i["identityType"] == "emailAddress")
    assert email["hashed"] is True and email["salt"] == "abc123"
    assert email["identityHash"] == ob3.identity_hash("inigo@example.org", "abc123")


def test_changing_any_signed_claim_breaks_our_signature():
    credential = _credential(keys.generate())
    for path in (
        ("credentialSubject", "identifier", 0, "identityHash"),
        ("credentialSubject", "creditsEarned"),
        ("credentialSubject", "result", 0, "value"),
        ("credentialStatus", "statusListIndex"),
        ("credentialSubject", "achievement", "criteria", "narrative"),
    ):
        tampered = copy.deepcopy(credential)
        node = tampered
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = "1" if isinstance(node[path[-1]], str) else 1.0
        assert not integrity.verify(tampered).verified, path


def test_a_signature_by_another_key_does_not_verify_under_ours():
    credential = _credential(keys.generate())
    forged = copy.deepcopy(credential)
    forged["proof"][0]["verificationMethod"] = keys.generate().verification_method
    assert not integrity.verify(forged).verified


def test_unknown_contexts_are_refused_never_fetched():
    with pytest.raises(JsonLdError):
        jsonld.document_loader("https://evil.example/context.json")
    credential = _credential(keys.generate())
    credential["@context"].append("https://evil.example/context.json")
    assert not integrity.verify(credential).verified


def test_status_lists_have_at_least_131072_entries_and_index_0_is_the_leftmost_bit():
    encoded = statuslist.encode({0, 9, 131_071})
    bits = statuslist.decode(encoded)
    assert encoded.startswith("u") and len(bits) * 8 == 131_072
    assert bits[0] == 0x80 and bits[1] == 0x40 and bits[-1] == 0x01
    assert [statuslist.is_set(encoded, i) for i in (0, 1, 9, 131_071)] == [True, False, True, True]
    with pytest.raises(ValueError):
        statuslist.encode({131_072})
    with pytest.raises(ValueError):
        statuslist.encode(set(), size=1024)


def test_the_status_list_credential_is_signed_and_names_its_purpose():
    key = keys.generate()
    document = statuslist.status_list_credential(
        "https://campus.example.org/status/revocation/1",
        "https://campus.example.org/credentials/issuer",
        [5],
        key,
        WHEN,
    )
    assert integrity.verify(document).verified
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["credentialSubject"]["statusPurpose"] == "revocation"
    assert statuslist.is_set(document["credentialSubject"]["encodedList"], 5)
    assert dropped_terms(document) == []


# --------------------------------------------------------------------------- codes, property-based

code_strategy = st.text(alphabet=codes.ALPHABET, min_size=16, max_size=16)


@given(code_strategy, st.sampled_from([str.lower, str.upper, lambda s: s]), st.sampled_from(["-", " ", ""]))
def test_any_printed_code_reads_back_however_it_is_typed(code, case, separator):
    typed = case(codes.grouped(code).replace("-", separator))
    assert codes.normalise(typed) == code


@given(st.text(max_size=60))
def test_any_input_is_either_a_well_formed_code_or_refused(text):
    code = codes.normalise(text)
    assert code is None or (len(code) == 16 and set(code) <= set(codes.ALPHABET))
