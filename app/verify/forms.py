"""The code form of the public verification page (GET, so it needs no session)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class CodeForm(FlaskForm):
    """A certificate code as printed (dashes and case do not matter)."""

    class Meta:
        csrf = False  # read-only GET form

    code = StringField(
        _l("Código del certificado"),
        validators=[DataRequired(_l("Escriba el código del certificado.")), Length(max=40)],
        description=_l(
            "Dieciséis letras y números, por ejemplo K7Q4-9MXD-2HPA-W3RT. Da igual usar mayúsculas o minúsculas."
        ),
    )
