"""Forms of the IOM officer's certificate actions."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class RevokeForm(FlaskForm):
    """Revoke a certificate, with the reason that the verify page and the audit log will show."""

    reason = TextAreaField(
        _l("Motivo de la revocación"),
        validators=[DataRequired(_l("Escriba el motivo de la revocación.")), Length(max=1000)],
        description=_l("Se publica en la página de verificación del certificado y queda en el registro de cambios."),
    )


class ReissueForm(FlaskForm):
    """Re-issue a certificate with a corrected name; the old one is marked superseded."""

    name = StringField(
        _l("Nombre tal como debe figurar"),
        validators=[DataRequired(_l("Escriba el nombre de la persona.")), Length(max=160)],
        description=_l("El certificado nuevo conserva todo lo demás: módulos, horas, puntajes y fechas."),
    )
    reason = TextAreaField(
        _l("Motivo de la reemisión"),
        validators=[DataRequired(_l("Escriba el motivo de la reemisión.")), Length(max=1000)],
        description=_l("Queda en el registro de cambios."),
    )
