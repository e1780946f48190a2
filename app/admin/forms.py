"""Administration forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth.forms import no_control_characters

ROLE_CHOICES = [
    ("official", _l("Funcionaria/o municipal")),
    ("coordinator", _l("Coordinación del programa")),
    ("iom_officer", _l("Personal de la OIM")),
]


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProfileForm(FlaskForm):
    """Role, municipality and area of an account."""

    role = SelectField(_l("Rol"), choices=ROLE_CHOICES)
    municipality = SelectField(
        _l("Municipio"), coerce=int, description=_l("Obligatorio para funcionarias y funcionarios.")
    )
    area = SelectField(_l("Área de gobierno"), coerce=int)
    submit = SubmitField(_l("Guardar cambios"))


class ScopeForm(FlaskForm):
    """The municipalities a coordinator follows."""

    all_municipalities = BooleanField(_l("Todos los municipios"))
    municipalities = MultiCheckboxField(_l("Municipios a cargo"), coerce=int)
    submit = SubmitField(_l("Guardar alcance"))


class ConfirmForm(FlaskForm):
    """A button that changes something (CSRF only)."""

    submit = SubmitField(_l("Confirmar"))


class MunicipalityForm(FlaskForm):
    """A municipality's name, province and country."""

    name = StringField(
        _l("Nombre"),
        validators=[
            DataRequired(_l("Escriba el nombre del municipio.")),
            no_control_characters,
            Length(max=160, message=_l("El nombre puede tener hasta %(max)d caracteres.")),
        ],
    )
    province = StringField(
        _l("Provincia o estado"),
        validators=[
            DataRequired(_l("Escriba la provincia o el estado.")),
            no_control_characters,
            Length(max=120, message=_l("La provincia puede tener hasta %(max)d caracteres.")),
        ],
    )
    country = StringField(
        _l("País"),
        default="AR",
        description=_l("Código de dos letras: AR para Argentina, BR para Brasil."),
        validators=[
            DataRequired(_l("Escriba el código del país.")),
            Regexp(r"^[A-Za-z]{2}$", message=_l("Use el código de dos letras del país, como AR.")),
        ],
    )
    submit = SubmitField(_l("Guardar municipio"))
