"""Command-line entry points, gathered from each area."""

import os
import subprocess
import sys

import click
from flask import Flask
from flask.cli import AppGroup

translate_cli = AppGroup("translate", help="Translation catalogues (wraps pybabel).")


def _pybabel(*args: str) -> None:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=root)
    if result.returncode:
        raise click.ClickException("pybabel " + " ".join(args) + " failed")


@translate_cli.command("extract")
def extract():
    """Extract messages from the code into translations/messages.pot."""
    _pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "--no-location",
        "--sort-output",
        "--omit-header",
        "-o",
        "translations/messages.pot",
        ".",
    )


@translate_cli.command("update")
def update():
    """Extract, then merge new messages into the en and pt catalogues."""
    extract.callback()
    _pybabel(
        "update", "-i", "translations/messages.pot", "-d", "translations", "--no-fuzzy-matching", "--ignore-obsolete"
    )


@translate_cli.command("compile")
def compile_():
    """Compile the catalogues (.po -> .mo) so the app can use them."""
    _pybabel("compile", "-d", "translations", "--statistics")


def register(app: Flask) -> None:
    """Attach every command group to the app."""
    from app.auth.cli import users_cli
    from app.certification.cli import credentials_cli
    from app.learning.cli import content_cli, progress_cli
    from app.seed import seed_demo

    app.cli.add_command(translate_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(progress_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(credentials_cli)
    app.cli.add_command(seed_demo)
