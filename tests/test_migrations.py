"""The Alembic migrations and the models describe the same schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_models_match_migrations(session):
    """The test schema is built by `upgrade`; autogenerate must then find nothing to add."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_focal_point_flag_becomes_a_designation_and_back(make_app, tmp_path):
    """Upgrading turns yesterday's focal-point flag into a designation in a cycle; downgrading restores it."""
    import pathlib

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    migrations = str(pathlib.Path(__file__).parent.parent / "migrations")
    other = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.db'}")
    with other.app_context():
        upgrade(directory=migrations, revision="dc31cf1605d2")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO municipality (id, key, name, province, country, created_at) "
                    "VALUES (1, 'cordoba', 'Córdoba', 'Córdoba', 'AR', '2026-01-01 00:00:00')"
                )
            )
            for uid, focal in ((1, 1), (2, 0)):
                conn.execute(
                    text(
                        'INSERT INTO "user" (id, email, name, password_hash, role, is_focal_point, municipality_id, gender, '
                        "active, created_at, all_municipalities) VALUES (:id, :e, 'X', 'h', 'official', :f, 1, 'woman', 1, "
                        "'2026-01-01 00:00:00', 0)"
                    ),
                    {"id": uid, "e": f"p{uid}@example.org", "f": focal},
                )
        upgrade(directory=migrations, revision="305249f40e48")
        with db.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT municipality_id, focal_point_id, substitute_id FROM municipal_cycle")
            ).all()
            cycles = conn.execute(text("SELECT count(*) FROM cycle")).scalar()
        assert rows == [(1, 1, None)] and cycles == 1
        downgrade(directory=migrations, revision="dc31cf1605d2")
        with db.engine.connect() as conn:
            flags = dict(conn.execute(text('SELECT id, is_focal_point FROM "user" ORDER BY id')).all())
        assert flags == {1: 1, 2: 0}
