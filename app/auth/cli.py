"""`flask users create`: accounts from the command line (the first IOM officer of an installation)."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models import Municipality
from app.models.people import GENDERS, ROLES
from app.services.accounts import AccountError, create_user

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), default="official", show_default=True)
@click.option("--municipality", "municipality_key", default=None, help="Municipality key (officials).")
@click.option("--gender", type=click.Choice(GENDERS), default="undisclosed", show_default=True)
@click.password_option()
def create(email, name, role, municipality_key, gender, password):
    """Create an account with the given role."""
    municipality_id = None
    if municipality_key:
        municipality = db.session.scalar(select(Municipality).where(Municipality.key == municipality_key))
        if municipality is None:
            raise click.BadParameter(f"no municipality with key {municipality_key!r}", param_hint="--municipality")
        municipality_id = municipality.id
    try:
        create_user(
            name=name, email=email, password=password, role=role, municipality_id=municipality_id, gender=gender
        )
    except AccountError as error:
        raise click.ClickException(f"cannot create the account: {error.code}") from error
    db.session.commit()
    click.echo(f"created {role} {email}")
