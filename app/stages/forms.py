"""Forms of the certification stages: award (with override), revoke, and the log's filters."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AwardForm(FlaskForm):
    """Award a stage; when requirements are unmet, an override needs a justification naming each of them."""

    acknowledged = CheckboxesField(
        _l("Requisitos sin cumplir que se otorgan por excepción"),
        description=_l("Marque cada requisito sin cumplir: la excepción debe nombrarlos a todos."),
        validate_choice=False,
    )
    justification = TextAreaField(
        _l("Justificación"),
        description=_l(
            "Obligatoria si falta algún requisito: por qué se otorga igual (al menos 20 caracteres). "
            "Queda en el registro de certificación y no se puede borrar."
        ),
        validators=[Length(max=4000, message=_l("La justificación admite hasta 4.000 caracteres."))],
    )
    submit = SubmitField(_l("Otorgar la etapa"))


class RevokeForm(FlaskForm):
    """Revoke an awarded stage (and the later ones) with a reason."""

    reason = TextAreaField(
        _l("Motivo de la revocación"),
        description=_l("Obligatorio (al menos 20 caracteres). También se revocan las etapas posteriores otorgadas."),
        validators=[Length(max=4000, message=_l("El motivo admite hasta 4.000 caracteres."))],
    )
    submit = SubmitField(_l("Revocar la etapa"))


class LogFilterForm(FlaskForm):
    """Filters of the certification log (GET)."""

    class Meta:
        csrf = False

    cycle = SelectField(_l("Ciclo"), coerce=int)
    municipality = SelectField(_l("Municipio"), coerce=int)


class CycleChoiceForm(FlaskForm):
    """Which cycle the programme table shows (GET)."""

    class Meta:
        csrf = False

    cycle = SelectField(_l("Ciclo"), coerce=int)
