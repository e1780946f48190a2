"""MigraCiudades Campus: the application factory."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import format_date, format_datetime
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2 import pass_context

from app import security
from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from app.i18n import (
    LANGUAGE_NAMES,
    current_language,
    format_number,
    format_share,
    install_template_gettext,
    select_locale,
    select_timezone,
    tr,
)
from app.services import figures_cache
from config import Config


def create_app(config_class: type = Config) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages and CLI commands."""
    app = Flask(__name__)
    app.config.from_object(config_class)
    security.check_secret_key(app.config)
    security.configure_logging(app)
    security.install_converters(app)
    security.install_proxy_fix(app)
    security.register_request_hooks(app)  # first, so even a request refused by CSRF is logged
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_request_hooks(app)
    register_commands(app)
    if app.config.get("APP_ENV") == "production" and not (
        app.config.get("CREDENTIAL_KEY_FILE") or app.config.get("CREDENTIAL_SIGNING_KEY")
    ):
        app.logger.warning(
            "No credential signing key configured (CREDENTIAL_KEY_FILE or CREDENTIAL_SIGNING_KEY): "
            "training certificates will not be issued until one is set."
        )
    return app


def register_request_hooks(app: Flask) -> None:
    """A note of when signed-in people were last active: at most every ten minutes, never a second commit."""
    from flask import g

    from app.services.accounts import last_seen_due, touch_last_seen

    @app.before_request
    def note_last_seen_due():
        # Read from the account already loaded, before any commit of the view expires it.
        if current_user.is_authenticated and last_seen_due(current_user):
            g.last_seen_due = current_user.id

    @app.after_request
    def note_last_seen(response):
        # Written after the view, in a transaction of its own: what the view committed stays committed,
        # what it left uncommitted is discarded as it would have been; a read path commits only this.
        user_id = g.pop("last_seen_due", None)
        if user_id is not None:
            db.session.rollback()
            touch_last_seen(user_id)
            db.session.commit()
        return response


def register_extensions(app: Flask) -> None:
    """Bind the extension instances to this app."""
    from app import models  # noqa: F401  (models must be imported for migrations to see them)
    from app.services import content_cache  # noqa: F401  (content changes bump the version: a flush listener)

    from app import dbpool, readonly

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dbpool.engine_options(app.config)
    db.init_app(app)
    with app.app_context():
        dbpool.install_idle_check(db.engine, app.config["DATABASE_PING_AFTER_IDLE"])
    readonly.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    figures_cache.configure(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_template_gettext(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Inicie sesión para ver esta página.")

    @login_manager.user_loader
    def load_user(session_id: str):
        from app.services.signed_in import load_user

        return load_user(session_id)


def register_blueprints(app: Flask) -> None:
    """Register one blueprint per area of the product."""
    from app.admin import bp as admin_bp
    from app.auth import bp as auth_bp
    from app.diagnostic import bp as diagnostic_bp
    from app.certification import bp as certification_bp
    from app.learning import bp as learning_bp
    from app.monitoring import bp as monitoring_bp
    from app.municipal import bp as municipal_bp
    from app.public import bp as public_bp
    from app.verify import bp as verify_bp
    from app.stages import bp as stages_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(learning_bp)
    app.register_blueprint(monitoring_bp, url_prefix="/monitoring")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(municipal_bp)
    app.register_blueprint(diagnostic_bp)
    app.register_blueprint(certification_bp)
    app.register_blueprint(verify_bp)
    app.register_blueprint(stages_bp, url_prefix="/certification")


def register_errorhandlers(app: Flask) -> None:
    """Friendly pages for 400/403/404/429/500; a 500 rolls the session back."""

    def render_error(code: int):
        return render_template(f"errors/{code}.html"), code

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/400.html", csrf=True), 400

    for code in (400, 403, 404, 429):
        app.register_error_handler(code, lambda e, c=code: render_error(c))

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        return render_error(500)


def register_template_helpers(app: Flask) -> None:
    """Filters and globals the templates use for translation and locale formatting."""
    app.jinja_env.filters["tr"] = _tr_filter
    from app.credentials.codes import grouped

    app.jinja_env.filters["grouped_code"] = grouped
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["date_long"] = lambda value: format_date(value, "long") if value else ""
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["percent"] = lambda value, digits=0: "—" if value is None else format_share(value, digits)

    @app.context_processor
    def inject_globals():
        from app.services import permissions

        user = current_user._get_current_object()  # the object itself: templates read it often
        monitoring = user.is_authenticated and permissions.can_monitor(user)
        return {
            "can_monitor": monitoring,
            "nav_modules": _nav_modules() if monitoring and request.blueprint == "monitoring" else [],
            "languages": LANGUAGE_NAMES,
            "current_language": current_language(),
            "current_path": request.full_path.rstrip("?") if request else "/",
            "current_user": user,
            "perms": permissions,
            "today": _today(),
        }


@pass_context
def _tr_filter(context, field, lang: str | None = None) -> str:
    """`tr` in templates: the language the context processor put in the page's context (a quiz page
    translates forty questions and choices; asking Flask-Babel each time was a tenth of its rendering),
    else the current one (a macro imported without context)."""
    return tr(field, lang or context.get("current_language"))


def _today():
    from app.services.cycles import today

    return today()


def _nav_modules():
    from sqlalchemy import select

    from app.models import Module

    return db.session.scalars(select(Module).where(Module.active).order_by(Module.position)).all()


def register_commands(app: Flask) -> None:
    """CLI commands, each living with its area."""
    from app.cli import register as register_cli

    register_cli(app)
