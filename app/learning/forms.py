"""Forms of the learning area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from app.services.workbook import MAX_TEXT


class WorkbookForm(FlaskForm):
    """The learner's written answer to a lesson's activity."""

    text = TextAreaField(
        _l("Su respuesta"),
        validators=[Length(max=MAX_TEXT, message=_l("La respuesta puede tener hasta %(max)d caracteres."))],
        description=_l(
            "Solo usted puede leer su cuaderno. Se guarda automáticamente mientras escribe y con el botón «Guardar»."
        ),
    )
