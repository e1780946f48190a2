"""Certificate pages for signed-in people: download (holder or staff in scope), revoke and re-issue (IOM)."""

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.certification import bp
from app.certification.forms import ReissueForm, RevokeForm
from app.credentials.codes import grouped
from app.extensions import db
from app.services import certificates as service
from app.services.permissions import (
    can_download_certificate,
    can_reissue_certificate,
    can_revoke_certificate,
    can_view_certificates_of,
)

ERRORS = {
    "reason_required": lambda: _("Escriba el motivo."),
    "name_required": lambda: _("Escriba el nombre de la persona."),
    "already_revoked": lambda: _("Este certificado ya estaba revocado."),
    "already_superseded": lambda: _("Este certificado ya fue reemplazado por otro."),
}


def _certificate_or_404(code: str):
    certificate = service.find_by_code(code)
    if certificate is None:
        abort(404)
    return certificate


@bp.route("/certificates/<code>.pdf")
@login_required
def download(code: str):
    """The stored PDF, byte for byte as issued (the holder, or staff who may see the holder's municipality)."""
    certificate = _certificate_or_404(code)
    if not can_download_certificate(current_user, certificate):
        abort(404)
    return _pdf_response(certificate.pdf, f"certificado-{grouped(certificate.code)}.pdf")


def _pdf_response(data: bytes, filename: str):
    """A PDF download that caches can keep (the bytes never change)."""
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.route("/certificates/<code>")
@login_required
def manage(code: str):
    """A certificate's record for staff in scope, with the IOM officer's actions."""
    certificate = _certificate_or_404(code)
    if not can_view_certificates_of(current_user, certificate.municipality_id):
        abort(404)
    revoke_form, reissue_form = RevokeForm(prefix="revoke"), ReissueForm(prefix="reissue")
    if not reissue_form.name.data:
        reissue_form.name.data = service.claims_name(certificate.claims)
    return _render_manage(certificate, revoke_form, reissue_form)


def _render_manage(certificate, revoke_form, reissue_form, status=200):
    return render_template(
        "certification/manage.html",
        certificate=certificate,
        revoke_form=revoke_form,
        reissue_form=reissue_form,
        can_revoke=can_revoke_certificate(current_user),
        can_reissue=can_reissue_certificate(current_user),
        newer=service.superseding(certificate),
    ), status


@bp.route("/certificates/<code>/revoke", methods=["POST"])
@login_required
def revoke(code: str):
    """Revoke a certificate (IOM officers only), with a reason."""
    if not can_revoke_certificate(current_user):
        abort(403)
    certificate = _certificate_or_404(code)
    form = RevokeForm(prefix="revoke")
    if not form.validate_on_submit():
        reissue_form = ReissueForm(prefix="reissue", formdata=None)
        reissue_form.name.data = service.claims_name(certificate.claims)
        return _render_manage(certificate, form, reissue_form, 400)
    try:
        service.revoke(current_user, certificate, form.reason.data)
    except service.CertificateError as error:
        db.session.rollback()
        flash(ERRORS[error.code](), "error")
        return redirect(url_for("certification.manage", code=grouped(certificate.code)))
    db.session.commit()
    flash(_("Certificado revocado. La página de verificación y la lista de estado ya lo muestran."), "success")
    return redirect(url_for("certification.manage", code=grouped(certificate.code)))


@bp.route("/certificates/<code>/reissue", methods=["POST"])
@login_required
def reissue(code: str):
    """Re-issue a certificate with a corrected name (IOM officers only); the old one is superseded."""
    if not can_reissue_certificate(current_user):
        abort(403)
    certificate = _certificate_or_404(code)
    form = ReissueForm(prefix="reissue")
    if not form.validate_on_submit():
        return _render_manage(certificate, RevokeForm(prefix="revoke", formdata=None), form, 400)
    try:
        new = service.reissue(current_user, certificate, name=form.name.data, reason=form.reason.data)
    except service.CertificateError as error:
        db.session.rollback()
        flash(ERRORS[error.code](), "error")
        return redirect(url_for("certification.manage", code=grouped(certificate.code)))
    db.session.commit()
    flash(
        _("Certificado reemitido con el código %(code)s; el anterior figura como reemplazado.", code=grouped(new.code)),
        "success",
    )
    return redirect(url_for("certification.manage", code=grouped(new.code)))
