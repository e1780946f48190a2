"""Forms of the municipal cycle: cycles, admissions, designations, the application and its review."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError


class CycleForm(FlaskForm):
    """A new annual cycle."""

    year = IntegerField(
        _l("Año"),
        validators=[
            InputRequired(_l("Escriba el año del ciclo.")),
            NumberRange(2020, 2100, _l("Escriba un año entre 2020 y 2100.")),
        ],
    )
    name = StringField(
        _l("Nombre"),
        description=_l("Por ejemplo: MigraCiudades 2027."),
        validators=[DataRequired(_l("Escriba el nombre del ciclo.")), Length(max=80)],
    )
    starts_on = DateField(_l("Comienza el"), validators=[InputRequired(_l("Indique la fecha de inicio (aaaa-mm-dd)."))])
    ends_on = DateField(_l("Termina el"), validators=[InputRequired(_l("Indique la fecha de cierre (aaaa-mm-dd)."))])
    submit = SubmitField(_l("Abrir el ciclo"))

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("La fecha de cierre debe ser posterior a la de inicio."))


class AdmitForm(FlaskForm):
    """Admit a municipality to a cycle."""

    municipality = SelectField(_l("Municipio"), coerce=int)
    submit = SubmitField(_l("Admitir en el ciclo"))


class DesignationForm(FlaskForm):
    """The focal point and the substitute of a municipality's cycle."""

    focal_point = SelectField(
        _l("Punto focal"),
        coerce=int,
        description=_l("Coordina todas las etapas. Una funcionaria o un funcionario activo del municipio."),
    )
    substitute = SelectField(
        _l("Punto focal suplente"),
        coerce=int,
        description=_l("Puede hacer todo lo que hace el punto focal y lo reemplaza en su ausencia."),
    )
    submit = SubmitField(_l("Guardar designaciones"))

    def validate_substitute(self, field):
        if field.data and field.data == self.focal_point.data:
            raise ValidationError(_l("El suplente debe ser otra persona."))


class ApplicationForm(FlaskForm):
    """The municipal profile, measures already taken and contact details."""

    population = IntegerField(
        _l("Población del municipio"),
        description=_l("Según el último censo o estimación oficial."),
        validators=[Optional(), NumberRange(1, 50_000_000, _l("Escriba un número entre 1 y 50.000.000."))],
    )
    migrant_population = IntegerField(
        _l("Población migrante estimada"),
        description=_l("Personas nacidas en otro país que viven en el municipio. Si no hay dato, una estimación."),
        validators=[Optional(), NumberRange(0, 50_000_000, _l("Escriba un número entre 0 y 50.000.000."))],
    )
    main_origins = StringField(
        _l("Principales países de origen"),
        description=_l("Separados por comas, del más al menos frecuente."),
        validators=[Length(max=300)],
    )
    has_migration_office = RadioField(
        _l("¿Existe un área, oficina o mesa de atención para personas migrantes?"),
        choices=[("yes", _l("Sí")), ("no", _l("No"))],
        validators=[Optional()],
    )
    migration_office_details = TextAreaField(
        _l("Detalle del área u oficina"),
        description=_l("Dependencia, desde cuándo, qué atiende."),
        validators=[Length(max=2000)],
    )
    contact_name = StringField(_l("Nombre de contacto"), validators=[Length(max=160)])
    contact_email = EmailField(
        _l("Correo de contacto"),
        validators=[Optional(), Email(_l("Escriba un correo válido."), check_deliverability=False), Length(max=254)],
    )
    contact_phone = StringField(_l("Teléfono de contacto"), validators=[Length(max=40)])
    submit = SubmitField(_l("Guardar borrador"))


class LetterForm(FlaskForm):
    """The mayor's letter of intent (PDF)."""

    letter = FileField(
        _l("Carta de intención firmada por la intendencia (PDF)"),
        validators=[FileRequired(_l("Elija el archivo PDF de la carta."))],
    )
    submit = SubmitField(_l("Subir la carta"))


class ReviewForm(FlaskForm):
    """IOM's decision on a submitted record."""

    decision = RadioField(
        _l("Decisión"),
        choices=[("accept", _l("Aceptar")), ("return", _l("Devolver con comentarios"))],
        validators=[InputRequired(_l("Elija una decisión."))],
    )
    comment = TextAreaField(
        _l("Comentarios"),
        description=_l("Obligatorios al devolver: qué hay que corregir."),
        validators=[Length(max=4000)],
    )
    submit = SubmitField(_l("Registrar la decisión"))

    def validate_comment(self, field):
        if self.decision.data == "return" and not (field.data or "").strip():
            raise ValidationError(_l("Explique qué hay que corregir."))


class ConfirmForm(FlaskForm):
    """A button that changes something (CSRF only)."""

    submit = SubmitField(_l("Confirmar"))
