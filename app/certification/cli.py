"""`flask credentials ...`: the signing key and certificates owed."""

from __future__ import annotations

import pathlib

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from app.credentials import keys
from app.extensions import db
from app.models import User

credentials_cli = AppGroup("credentials", help="Certificate signing key and issuing.")


@credentials_cli.command("keygen")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="File to write (default: instance/credential-signing-key.pem). Never overwritten.",
)
@click.option("--format", "fmt", type=click.Choice(["pem", "jwk"]), default="pem", show_default=True)
@with_appcontext
def keygen(out: str | None, fmt: str) -> None:
    """Write a new Ed25519 signing key (owner-only permissions) and print its did:key."""
    path = pathlib.Path(out) if out else pathlib.Path(current_app.instance_path) / keys.DEV_KEY_NAME
    try:
        key = keys.write_new(path, fmt)
    except FileExistsError as error:
        raise click.ClickException(f"{path} already exists; it is never overwritten") from error
    click.echo(
        f"wrote {path}\nverification method: {key.verification_method}\n"
        f"set CREDENTIAL_KEY_FILE={path.resolve()} to sign with it"
    )


@credentials_cli.command("issue-pending")
@with_appcontext
def issue_pending() -> None:
    """Issue the training certificate to everyone who meets the rule and has none (e.g. after setting a key)."""
    from app.services import certificates

    issued = 0
    for user in db.session.scalars(select(User).where(User.active).order_by(User.id)):
        if certificates.issue_training_if_complete(user) is not None:
            issued += 1
    db.session.commit()
    click.echo(f"certificates issued: {issued}")
