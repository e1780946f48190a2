"""Forms of the diagnostic, workshops and work plan."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.models.municipal import ACTION_BLOCKED, ACTION_DONE, ACTION_IN_PROGRESS, ACTION_NOT_STARTED
from app.models.municipal import MODALITY_HYBRID, MODALITY_IN_PERSON, MODALITY_ONLINE

ACTION_STATE_CHOICES = [
    (ACTION_NOT_STARTED, _l("Sin empezar")),
    (ACTION_IN_PROGRESS, _l("En curso")),
    (ACTION_DONE, _l("Hecha")),
    (ACTION_BLOCKED, _l("Bloqueada")),
]
MODALITY_CHOICES = [
    (MODALITY_IN_PERSON, _l("Presencial")),
    (MODALITY_ONLINE, _l("En línea")),
    (MODALITY_HYBRID, _l("Mixta")),
]


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DecisionForm(FlaskForm):
    """IOM's decision on a submitted diagnostic or work plan (choices are named by the view)."""

    decision = RadioField(_l("Decisión"), validators=[InputRequired(_l("Elija una decisión."))])
    comment = TextAreaField(_l("Comentario general"), validators=[Length(max=4000)])
    submit = SubmitField(_l("Registrar la decisión"))


class WorkshopForm(FlaskForm):
    """A diagnostic workshop and who attended."""

    held_on = DateField(_l("Fecha"), validators=[InputRequired(_l("Indique la fecha del taller (aaaa-mm-dd)."))])
    modality = RadioField(
        _l("Modalidad"),
        choices=MODALITY_CHOICES,
        default=MODALITY_IN_PERSON,
        validators=[InputRequired(_l("Elija la modalidad."))],
    )
    place = StringField(_l("Lugar o plataforma"), validators=[Length(max=200)])
    facilitators = TextAreaField(
        _l("Facilitación"),
        description=_l("Quiénes facilitaron: punto focal, OIM, organizaciones socias."),
        validators=[Length(max=4000)],
    )
    areas = MultiCheckboxField(_l("Áreas de gobierno representadas"), coerce=int)
    officials = MultiCheckboxField(_l("Funcionarias y funcionarios del municipio que asistieron"), coerce=int)
    good_practices = TextAreaField(_l("Buenas prácticas identificadas"), validators=[Length(max=4000)])
    potential_areas = TextAreaField(_l("Áreas con potencial de mejora"), validators=[Length(max=4000)])
    submit = SubmitField(_l("Guardar el taller"))


class PriorityForm(FlaskForm):
    """A capacity or activity to strengthen, tied to a dimension."""

    dimension = SelectField(
        _l("Dimensión del diagnóstico"),
        coerce=int,
        description=_l("Las dimensiones con menor puntaje aparecen primero."),
    )
    title = StringField(
        _l("Capacidad o actividad a fortalecer"),
        validators=[DataRequired(_l("Escriba la prioridad.")), Length(max=200)],
    )
    description = TextAreaField(_l("Por qué es prioritaria"), validators=[Length(max=4000)])
    submit = SubmitField(_l("Agregar la prioridad"))


class ActionForm(FlaskForm):
    """An action of the work plan."""

    description = TextAreaField(_l("Acción"), validators=[DataRequired(_l("Describa la acción.")), Length(max=4000)])
    area = SelectField(_l("Área responsable"), coerce=int)
    starts_on = DateField(_l("Fecha de inicio"), validators=[Optional()])
    due_on = DateField(_l("Fecha límite"), validators=[Optional()])
    indicator = StringField(
        _l("Indicador de seguimiento"),
        description=_l("Cómo se sabrá que avanza, por ejemplo: «personas atendidas por mes»."),
        validators=[Length(max=300)],
    )
    target = StringField(
        _l("Meta"), description=_l("Por ejemplo: «120 por mes a diciembre»."), validators=[Length(max=200)]
    )
    submit = SubmitField(_l("Agregar la acción"))

    def validate_due_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("La fecha límite debe ser posterior al inicio."))


class ProgressForm(FlaskForm):
    """An action's state and a dated progress note."""

    state = SelectField(_l("Estado"), choices=ACTION_STATE_CHOICES)
    noted_on = DateField(_l("Fecha de la nota"), validators=[Optional()])
    text = TextAreaField(_l("Nota de avance"), validators=[Length(max=4000)])
    submit = SubmitField(_l("Registrar el avance"))
