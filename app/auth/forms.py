"""Account forms; labels are lazily translated."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, ValidationError

from app.models.people import GENDER_MAN, GENDER_NONBINARY, GENDER_UNDISCLOSED, GENDER_WOMAN

PASSWORD_MIN = 10

GENDER_CHOICES = [
    (GENDER_WOMAN, _l("Mujer")),
    (GENDER_MAN, _l("Varón")),
    (GENDER_NONBINARY, _l("No binario u otra identidad")),
    (GENDER_UNDISCLOSED, _l("Prefiero no decirlo")),
]


def _not_blank(form, field):
    if field.data is not None and not str(field.data).strip():
        raise ValidationError(_l("Este campo no puede quedar en blanco."))


def no_control_characters(form, field):
    """Names are shown in pages and written to exports: invisible control characters are refused."""
    from app.services.accounts import has_control_characters

    if field.data and has_control_characters(str(field.data)):
        raise ValidationError(_l("Use solo letras, números, espacios y signos de puntuación."))


EMAIL_VALIDATORS = [
    DataRequired(_l("Escriba su correo electrónico.")),
    Length(max=254, message=_l("El correo puede tener hasta %(max)d caracteres.")),
    Email(_l("Escriba un correo electrónico válido, como nombre@municipio.gob.ar."), check_deliverability=False),
]


class RegistrationForm(FlaskForm):
    """Sign-up for municipal officials."""

    name = StringField(
        _l("Nombre y apellido"),
        validators=[
            DataRequired(_l("Escriba su nombre y apellido.")),
            _not_blank,
            no_control_characters,
            Length(max=160, message=_l("El nombre puede tener hasta %(max)d caracteres.")),
        ],
    )
    email = EmailField(
        _l("Correo electrónico"),
        description=_l(
            "Preferentemente su correo institucional. Lo usará para iniciar sesión. Le enviaremos un enlace para confirmarlo."
        ),
        validators=EMAIL_VALIDATORS,
    )
    password = PasswordField(
        _l("Contraseña"),
        description=_l("Al menos %(n)s caracteres.", n=PASSWORD_MIN),
        validators=[
            DataRequired(_l("Elija una contraseña.")),
            Length(
                min=PASSWORD_MIN,
                max=128,
                message=_l("La contraseña debe tener al menos %(n)s caracteres.", n=PASSWORD_MIN),
            ),
        ],
    )
    password2 = PasswordField(
        _l("Repita la contraseña"),
        validators=[
            DataRequired(_l("Repita la contraseña.")),
            EqualTo("password", _l("Las contraseñas no coinciden.")),
        ],
    )
    municipality = SelectField(_l("Municipio"), coerce=int, validators=[InputRequired(_l("Elija su municipio."))])
    area = SelectField(
        _l("Área de gobierno"),
        coerce=int,
        description=_l("El área en la que trabaja dentro del municipio."),
        validators=[InputRequired(_l("Elija su área de gobierno."))],
    )
    gender = RadioField(
        _l("Género (autopercibido)"),
        description=_l("Se usa solo para medir la participación equitativa, siempre de forma agregada."),
        choices=GENDER_CHOICES,
        validators=[InputRequired(_l("Elija una opción de género (puede ser «Prefiero no decirlo»)."))],
    )
    consent = BooleanField(
        _l("Leí el aviso de datos personales y acepto que se traten para esta capacitación."),
        validators=[DataRequired(_l("Para registrarse debe aceptar el aviso de datos personales."))],
    )
    submit = SubmitField(_l("Crear cuenta"))

    def validate_municipality(self, field):
        if field.data not in {value for value, _ in self.municipality.choices}:
            raise ValidationError(_l("Elija su municipio de la lista."))

    def validate_area(self, field):
        if field.data not in {value for value, _ in self.area.choices}:
            raise ValidationError(_l("Elija su área de la lista."))


class LoginForm(FlaskForm):
    """Sign-in with email and password."""

    email = EmailField(
        _l("Correo electrónico"),
        validators=[
            DataRequired(_l("Escriba su correo electrónico.")),
            Length(max=254, message=_l("El correo puede tener hasta %(max)d caracteres.")),
        ],
    )
    password = PasswordField(_l("Contraseña"), validators=[DataRequired(_l("Escriba su contraseña.")), Length(max=128)])
    remember = BooleanField(_l("Mantener la sesión iniciada en este dispositivo"))
    submit = SubmitField(_l("Iniciar sesión"))


class ForgotPasswordForm(FlaskForm):
    """The address to send a password reset link to."""

    email = EmailField(
        _l("Correo electrónico"), description=_l("El correo con el que se registró."), validators=EMAIL_VALIDATORS
    )
    submit = SubmitField(_l("Enviar enlace"))


class ResetPasswordForm(FlaskForm):
    """A new password, typed twice (from a reset link)."""

    password = PasswordField(
        _l("Nueva contraseña"),
        description=_l("Al menos %(n)s caracteres.", n=PASSWORD_MIN),
        validators=[
            DataRequired(_l("Elija una nueva contraseña.")),
            Length(
                min=PASSWORD_MIN,
                max=128,
                message=_l("La contraseña debe tener al menos %(n)s caracteres.", n=PASSWORD_MIN),
            ),
        ],
    )
    password2 = PasswordField(
        _l("Repita la nueva contraseña"),
        validators=[
            DataRequired(_l("Repita la nueva contraseña.")),
            EqualTo("password", _l("Las contraseñas no coinciden.")),
        ],
    )
    submit = SubmitField(_l("Guardar contraseña"))


class PasswordForm(ResetPasswordForm):
    """Change of password, confirming the current one."""

    current = PasswordField(
        _l("Contraseña actual"), validators=[DataRequired(_l("Escriba su contraseña actual.")), Length(max=128)]
    )
    submit = SubmitField(_l("Cambiar contraseña"))


class SettingsForm(FlaskForm):
    """Personal preferences: language and time zone."""

    locale = SelectField(_l("Idioma"), choices=[("es", "Español"), ("en", "English"), ("pt", "Português")])
    timezone = SelectField(_l("Zona horaria"), description=_l("Las fechas y horas se muestran en esta zona."))
    submit = SubmitField(_l("Guardar preferencias"))


class ResendForm(FlaskForm):
    """A button that sends the confirmation email again (CSRF only)."""

    submit = SubmitField(_l("Enviar el enlace de nuevo"))
