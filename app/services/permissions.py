"""Who may do what, on which municipality: one function per action, asked by views, templates and exports.

Views never compare roles themselves; they ask here. Scope (which municipalities a person may see)
comes from `app.services.scope`; designations (who is focal point in the current cycle) from
`app.services.cycles`. Templates reach these functions as `perms.<name>(...)`.

| action | official | focal point / substitute | coordinator | IOM officer |
| --- | --- | --- | --- | --- |
| own training, own certificate | yes | yes | yes | yes |
| monitoring figures | no | own municipality | municipalities in scope | all |
| individual officials, exports of people | no | no | in scope | all |
| manage accounts | no | no | officials in scope | everyone |
| view a municipality's cycle (application, diagnostic, workshops, plan) | no | own municipality | in scope | all |
| edit application, diagnostic, workshops, priorities and plan | no | own municipality, open cycle | no | no |
| designate focal point and substitute | no | no | in scope | all |
| review application, validate diagnostic, approve plan | no | no | no | yes |
| grant a learner an extra quiz attempt | no | no | officials in scope | everyone but themselves |
| read a learner's workbook | own only | own only | own only | own only |
| see, save and submit a quiz attempt | own only | own only | own only | own only |
| open cycles, admit municipalities, manage municipalities | no | no | no | yes |
| view a municipality's certification stages | no | own municipality | in scope | all |
| programme table of stages reached | no | no | in scope | all |
| award, override and revoke stages; read and export the stage log | no | no | no | yes |
"""

from __future__ import annotations

from app.models.people import ROLE_COORDINATOR, ROLE_IOM, ROLE_OFFICIAL
from app.services import cycles
from app.services.scope import in_scope, visible_municipality_ids


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)


def is_iom(user) -> bool:
    """IOM officers."""
    return _signed_in(user) and user.role == ROLE_IOM


def is_staff(user) -> bool:
    """Coordinators and IOM officers (programme staff)."""
    return _signed_in(user) and user.role in (ROLE_COORDINATOR, ROLE_IOM)


def is_focal_point(user) -> bool:
    """Focal point or substitute of their municipality in the current cycle."""
    return _signed_in(user) and user.role == ROLE_OFFICIAL and cycles.is_focal_point(user)


def in_municipality_scope(user, municipality_id: int | None) -> bool:
    """True when the user may see figures of this municipality."""
    return _signed_in(user) and in_scope(visible_municipality_ids(user), municipality_id)


# --------------------------------------------------------------------------- monitoring and people


def can_monitor(user) -> bool:
    """Coordinators, IOM officers and focal points (for their own municipality) see monitoring pages."""
    return is_staff(user) or is_focal_point(user)


def can_see_people(user) -> bool:
    """Only coordinators and IOM officers drill down to individual officials."""
    return is_staff(user)


def can_see_person(user, person) -> bool:
    """IOM officers see everyone; coordinators see officials of their municipalities only (never IOM
    officers or other coordinators, even when they follow every municipality)."""
    if is_iom(user):
        return True
    return (
        is_staff(user)
        and person is not None
        and person.role == ROLE_OFFICIAL
        and in_scope(visible_municipality_ids(user), person.municipality_id)
    )


def can_manage_user(actor, target) -> bool:
    """IOM officers manage everyone; coordinators manage the officials they may see (same rule)."""
    return can_see_person(actor, target)


def can_grant_extra_attempt(user, learner) -> bool:
    """One more quiz attempt for a learner who used them all: IOM officers for anyone but themselves,
    coordinators for officials of the municipalities in their scope."""
    if learner is None or not _signed_in(user) or user.id == learner.id:
        return False
    if is_iom(user):
        return True
    return (
        user.role == ROLE_COORDINATOR
        and learner.role == ROLE_OFFICIAL
        and in_scope(visible_municipality_ids(user), learner.municipality_id)
    )


def can_read_workbook(user, entry) -> bool:
    """A workbook entry is private: only its author reads it, whatever their role."""
    return entry is not None and _signed_in(user) and entry.user_id == user.id


def can_take_attempt(user, attempt) -> bool:
    """A quiz attempt (the ORM's or what a save reads of it) is reached only by the learner who started it."""
    return attempt is not None and _signed_in(user) and attempt.user_id == user.id


def can_administer(user) -> bool:
    """The administration area: coordinators (their officials) and IOM officers."""
    return is_staff(user)


def can_manage_municipalities(user) -> bool:
    """Create and edit municipalities, change roles and scope: IOM officers only."""
    return is_iom(user)


# --------------------------------------------------------------------------- the municipal cycle


def can_manage_cycles(user) -> bool:
    """Open cycles and admit municipalities to them: IOM officers only."""
    return is_iom(user)


def can_view_cycle(user, mc) -> bool:
    """See a municipality's cycle: staff in scope, and its focal point or substitute in that cycle."""
    if mc is None or not _signed_in(user):
        return False
    if is_staff(user):
        return in_scope(visible_municipality_ids(user), mc.municipality_id)
    return mc.is_designated(user.id) and user.municipality_id == mc.municipality_id


def can_edit_cycle_records(user, mc, day=None) -> bool:
    """Fill in the application, diagnostic, workshops, priorities and plan: the cycle's focal point or
    substitute, for their own municipality, while the cycle is open."""
    return (
        mc is not None
        and _signed_in(user)
        and user.role == ROLE_OFFICIAL
        and user.municipality_id == mc.municipality_id
        and mc.is_designated(user.id)
        and mc.cycle.is_open_on(day or cycles.today())
    )


def can_designate_focal_points(user, municipality_id: int | None) -> bool:
    """Designate the focal point and the substitute: IOM officers, and coordinators in scope."""
    return is_staff(user) and in_scope(visible_municipality_ids(user), municipality_id)


def can_review(user, mc=None) -> bool:
    """Accept or return an application, validate a diagnostic, approve a work plan: IOM officers."""
    return is_iom(user)


def can_download_letter(user, mc) -> bool:
    """The mayor's letter of intent: whoever may see the cycle."""
    return can_view_cycle(user, mc)


def sees_exact_municipal_figures(user, mc) -> bool:
    """The municipality's own staff see its workshop figures exactly; everyone else sees them protected
    by the disclosure rules (small counts hidden)."""
    return (
        _signed_in(user)
        and user.role == ROLE_OFFICIAL
        and mc is not None
        and user.municipality_id == mc.municipality_id
    )


# --------------------------------------------------------------------------- certificates


def can_revoke_certificate(user) -> bool:
    """Only IOM officers revoke certificates."""
    return is_iom(user)


def can_reissue_certificate(user) -> bool:
    """Only IOM officers re-issue certificates (e.g. to correct a name)."""
    return is_iom(user)


def can_view_certificates_of(user, municipality_id: int | None) -> bool:
    """Coordinators and IOM officers see the certificates (and holders) of municipalities in their scope."""
    return can_see_people(user) and in_scope(visible_municipality_ids(user), municipality_id)


def can_download_certificate(user, certificate) -> bool:
    """The holder, and whoever may see certificates of the holder's municipality."""
    if not _signed_in(user):
        return False
    if certificate.holder_id is not None and certificate.holder_id == user.id:
        return True
    return can_view_certificates_of(user, certificate.municipality_id)


# --------------------------------------------------------------------------- certification stages


def can_view_certification(user, mc) -> bool:
    """A municipality's certification page: whoever may see its cycle (focal points, staff in scope)."""
    return can_view_cycle(user, mc)


def can_view_stage_programme(user) -> bool:
    """The programme table of stages reached by each municipality in scope: coordinators and IOM officers."""
    return is_staff(user)


def can_award_stage(user) -> bool:
    """Award a stage (also by override) and revoke one: IOM officers only."""
    return is_iom(user)


def can_read_stage_log(user) -> bool:
    """Read and export the log of awards, overrides and revocations: IOM officers only."""
    return is_iom(user)
