"""JSON-LD processing with contexts from local copies only.

Each context URL the platform accepts is mapped to a file in `contexts/` by `contexts/MAP.json`
(the map 1EdTech's public validator uses offline). The document loader refuses every other URL, so
canonicalisation never reaches the network and a credential naming an unknown context fails to
verify instead of fetching it.
"""

from __future__ import annotations

import json
import pathlib
from functools import lru_cache

from pyld import jsonld

CONTEXT_DIR = pathlib.Path(__file__).parent / "contexts"

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


class ContextRefused(Exception):
    """A document named a context that is not shipped with the platform."""


@lru_cache(maxsize=1)
def _context_map() -> dict[str, str]:
    data = json.loads((CONTEXT_DIR / "MAP.json").read_text(encoding="utf-8"))
    return {url: name for url, name in data.items() if not url.startswith("_")}


@lru_cache(maxsize=None)
def _context(name: str) -> dict:
    return json.loads((CONTEXT_DIR / name).read_text(encoding="utf-8"))


def document_loader(url: str, options: dict | None = None) -> dict:
    """pyld document loader: a shipped context by its URL, or a refusal."""
    name = _context_map().get(url)
    if name is None:
        raise jsonld.JsonLdError(
            f"context not shipped with the platform: {url}",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading remote context failed",
        ) from ContextRefused(url)
    return {"contextUrl": None, "documentUrl": url, "document": _context(name)}


def canonicalize(document: dict) -> str:
    """The RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document."""
    return jsonld.normalize(
        document,
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": document_loader,
        },
    )


def expand(document: dict) -> list:
    """The expanded form of a document (used to check that every term is defined)."""
    return jsonld.expand(document, {"documentLoader": document_loader})
