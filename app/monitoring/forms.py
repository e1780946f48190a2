"""Filter form for the monitoring pages (GET, so filtered pages can be bookmarked and shared)."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

# Registration dates that can be asked for: from the programme's start to far beyond any real use
# (9999-12-31 would overflow the day-after arithmetic and the database's timestamp range).
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def _plausible_date(form, field):
    if field.data and not EARLIEST <= field.data <= LATEST:
        raise ValidationError(
            _l("Escriba una fecha entre %(start)s y %(end)s.", start=EARLIEST.isoformat(), end=LATEST.isoformat())
        )


class FilterForm(FlaskForm):
    """Province, government area and registration dates."""

    class Meta:
        csrf = False  # read-only GET form

    province = SelectField(_l("Provincia"), validators=[Optional()])
    area = SelectField(_l("Área de gobierno"), validators=[Optional()])
    registered_from = DateField(
        _l("Inscriptas/os desde"),
        validators=[Optional(), _plausible_date],
        description=_l("Fecha de inscripción en la plataforma."),
    )
    registered_to = DateField(_l("Hasta"), validators=[Optional(), _plausible_date])
    q = StringField(_l("Buscar por nombre o correo"), validators=[Optional(), Length(max=254)])

    def validate_registered_to(self, field):
        if field.data and self.registered_from.data and field.data < self.registered_from.data:
            raise ValidationError(_l("La fecha final debe ser igual o posterior a la inicial."))


class ExtraAttemptForm(FlaskForm):
    """One more quiz attempt for an official who used them all without passing."""

    module = SelectField(
        _l("Módulo"),
        coerce=int,
        description=_l("Solo aparecen los módulos en los que usó todos sus intentos sin aprobar."),
    )
    reason = TextAreaField(
        _l("Motivo"),
        validators=[
            DataRequired(_l("Escriba el motivo: queda en el registro de cambios y la persona lo ve.")),
            Length(max=500, message=_l("El motivo puede tener hasta 500 caracteres.")),
        ],
        description=_l("Por ejemplo: «Repasó las lecciones con el punto focal». La persona verá este motivo."),
    )
