"""Public verification pages and the credentials' https ids. No login, no listing, no search: only
someone holding a code can look a certificate up; attempts are rate-limited."""

from flask import current_app, jsonify, redirect, render_template, request, url_for

from app.credentials import ob3
from app.credentials.codes import grouped, normalise
from app.extensions import limiter
from app.i18n import current_language
from app.services import certificates as service
from app.verify import bp
from app.verify.forms import CodeForm


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


def _json(document: dict, status: int = 200):
    response = jsonify(document)
    response.status_code = status
    response.headers["Access-Control-Allow-Origin"] = "*"  # verifiers run anywhere
    return response


@bp.route("/verify")
@limiter.limit(_verify_limit)
def form():
    """Type a code to check a certificate."""
    form = CodeForm(request.args)
    if request.args and form.validate():
        code = normalise(form.code.data)
        if code is not None:
            return redirect(url_for("verify.certificate", code=grouped(code)))
        return render_template("verify/form.html", form=form, unknown=True), 404
    return render_template("verify/form.html", form=form, unknown=False)


@bp.route("/verify/<code>")
@limiter.limit(_verify_limit)
def certificate(code: str):
    """Every claim of a certificate, its status and its PDF's fingerprint."""
    certificate = service.find_by_code(code)
    if certificate is None:
        return render_template("verify/form.html", form=CodeForm(formdata=None, data={"code": code}), unknown=True), 404
    return render_template(
        "verify/certificate.html",
        certificate=certificate,
        claims=certificate.claims,
        newer=service.superseding(certificate),
        grouped_code=grouped(certificate.code),
        credential_url=url_for("verify.credential", code=grouped(certificate.code)),
    )


@bp.route("/verify/<code>/credential.json")
@limiter.limit(_verify_limit)
def credential(code: str):
    """The signed Open Badges 3.0 credential of a certificate."""
    certificate = service.find_by_code(code)
    if certificate is None:
        return _json({"error": "not found"}, 404)
    return _json(certificate.credential)


@bp.route("/status/revocation/<key>")
def status_list(key: str):
    """A signed BitstringStatusListCredential, as rebuilt at the last revocation."""
    document = service.status_list_document(key)
    if document is None:
        return _json({"error": "not found"}, 404)
    response = _json(document)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/credentials/achievements/<key>")
def achievement(key: str):
    """The achievement definition at its https id (in the requested language)."""
    found = service.achievement_spec(key, current_language())
    if found is None:
        return _json({"error": "not found"}, 404)
    spec, results = found
    return _json(ob3.achievement_document(service.base_url(), spec, current_language(), results))


@bp.route("/credentials/issuer")
def issuer():
    """The issuer profile at its https id."""
    return _json(ob3.profile_document(service.base_url(), service.issuer_name(current_language())))
