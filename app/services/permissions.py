"""Who may do what with certificates: one small function per action, built on app.services.scope."""
from __future__ import annotations

from app.services.scope import can_see_people, in_scope, visible_municipality_ids


def can_revoke_certificate(user) -> bool:
    """Only IOM officers revoke certificates."""
    return bool(user.is_authenticated and user.is_iom)


def can_reissue_certificate(user) -> bool:
    """Only IOM officers re-issue certificates (e.g. to correct a name)."""
    return bool(user.is_authenticated and user.is_iom)


def can_view_certificates_of(user, municipality_id: int | None) -> bool:
    """Coordinators and IOM officers see the certificates (and holders) of municipalities in their scope."""
    if not user.is_authenticated or not can_see_people(user):
        return False
    ids = visible_municipality_ids(user)
    return ids is None or in_scope(ids, municipality_id)


def can_download_certificate(user, certificate) -> bool:
    """The holder, and whoever may see certificates of the holder's municipality."""
    if not user.is_authenticated:
        return False
    if certificate.holder_id is not None and certificate.holder_id == user.id:
        return True
    return can_view_certificates_of(user, certificate.municipality_id)
