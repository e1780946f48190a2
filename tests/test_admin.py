"""Administration: roles, scope, focal points, accounts and municipalities, each change audited."""

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Municipality, User
from app.services import admin as admin_service
from tests.conftest import PASSWORD, links_in


def _ids(in_app):
    return in_app(lambda: {m.key: m.id for m in db.session.scalars(select(Municipality))})


def _events(in_app, action):
    return in_app(lambda: db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_iom_officer_changes_a_role_and_it_is_audited(client, login, make_user, in_app):
    iom = login(make_user(role="iom_officer", municipality=None, email="iom@example.org"))
    person = make_user()
    ids = _ids(in_app)
    response = client.post(
        f"/admin/users/{person.id}",
        data={"action": "profile", "profile-role": "coordinator", "profile-municipality": "0", "profile-area": "0"},
    )
    assert response.status_code == 302
    user = in_app(lambda: db.session.get(User, person.id))
    assert user.role == "coordinator" and user.municipality_id is None
    [event] = _events(in_app, "role_changed")
    assert event.actor_id == iom.id and event.target_user_id == person.id
    assert event.details["role"] == ["official", "coordinator"]
    # an official needs a municipality
    response = client.post(
        f"/admin/users/{person.id}",
        data={"action": "profile", "profile-role": "official", "profile-municipality": "0", "profile-area": "0"},
        follow_redirects=True,
    )
    assert "debe tener un municipio" in response.get_data(as_text=True)
    assert ids


def test_coordinator_scope_is_set_and_audited(client, login, make_user, in_app):
    login(make_user(role="iom_officer", municipality=None, email="iom@example.org"))
    coordinator = make_user(role="coordinator", municipality=None, email="c@example.org")
    ids = _ids(in_app)
    client.post(f"/admin/users/{coordinator.id}", data={"action": "scope", "scope-municipalities": [ids["rosario"]]})
    scope = in_app(lambda: [m.key for m in db.session.get(User, coordinator.id).scope])
    assert scope == ["rosario"]
    client.post(f"/admin/users/{coordinator.id}", data={"action": "scope", "scope-all_municipalities": "y"})
    assert in_app(lambda: db.session.get(User, coordinator.id).all_municipalities)
    events = _events(in_app, "scope_changed")
    assert len(events) == 2
    assert events[0].details["municipalities"] == [[], [ids["rosario"]]]


def test_coordinator_deactivates_an_official_in_scope_who_then_cannot_log_in(app, client, login, make_user, in_app):
    coordinator = make_user(role="coordinator", municipality=None, email="c@example.org")
    in_app(lambda: setattr(db.session.get(User, coordinator.id), "all_municipalities", True))
    person = make_user()
    login(coordinator)
    client.post(f"/admin/users/{person.id}", data={"action": "deactivate"})
    assert not in_app(lambda: db.session.get(User, person.id).active)
    assert len(_events(in_app, "account_deactivated")) == 1
    other = app.test_client()
    response = other.post("/auth/login", data={"email": person.email, "password": PASSWORD})
    assert "El correo o la contraseña no son correctos." in response.get_data(as_text=True)
    # records are kept
    assert in_app(lambda: db.session.get(User, person.id)) is not None


def test_coordinator_cannot_change_roles_or_manage_staff(client, login, make_user, in_app):
    coordinator = login(make_user(role="coordinator", municipality=None, email="c@example.org"))
    in_app(lambda: setattr(db.session.get(User, coordinator.id), "all_municipalities", True))
    person = make_user()
    staff = make_user(role="iom_officer", municipality=None, email="iom@example.org")
    response = client.post(
        f"/admin/users/{person.id}",
        data={"action": "profile", "profile-role": "iom_officer", "profile-municipality": "0", "profile-area": "0"},
    )
    assert response.status_code == 403
    assert in_app(lambda: db.session.get(User, person.id).role) == "official"
    assert client.get(f"/admin/users/{staff.id}").status_code == 404
    assert client.get("/admin/municipalities").status_code == 403


def test_coordinator_sends_a_reset_email_never_sees_the_link_and_is_the_audited_actor(
    app, client, login, make_user, in_app, mailbox
):
    coordinator = login(make_user(role="coordinator", municipality=None, email="coord@example.org"))
    in_app(
        lambda: admin_service.set_scope(
            db.session.get(User, coordinator.id),
            db.session.get(User, coordinator.id),
            all_municipalities=True,
            municipality_ids=set(),
        )
    )
    person = make_user(email="persona@example.org")
    response = client.post(f"/admin/users/{person.id}", data={"action": "reset"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "/auth/reset/" not in html, "the coordinator never sees the link"
    assert "persona@example.org" in html
    assert [m["To"] for m in mailbox] == ["persona@example.org"]
    link = next(link for link in links_in(mailbox[0]) if "/auth/reset/" in link)
    path = link.replace("http://localhost", "")
    visitor = app.test_client()
    assert visitor.get(path).status_code == 200
    response = visitor.post(path, data={"password": "otra-clave-larga", "password2": "otra-clave-larga"})
    assert response.status_code == 302
    assert in_app(lambda: db.session.get(User, person.id).check_password("otra-clave-larga"))
    assert visitor.get(path).status_code == 400, "a used link is refused"
    assert visitor.get("/auth/reset/not-a-token").status_code == 400
    events = {e.action: e for e in in_app(lambda: db.session.scalars(select(AuditEvent)).all())}
    assert events["password_reset_sent"].actor_id == coordinator.id
    assert events["password_reset_completed"].actor_id == person.id
    assert events["password_reset_completed"].details == {"requested_by": coordinator.id}


def test_municipalities_are_created_and_edited_with_clear_errors(client, login, make_user, in_app):
    login(make_user(role="iom_officer", municipality=None, email="iom@example.org"))
    response = client.post(
        "/admin/municipalities/new",
        data={"action": "save", "m-name": "San Martín de los Andes", "m-province": "Neuquén", "m-country": "ar"},
    )
    assert response.status_code == 302
    created = in_app(
        lambda: db.session.scalar(select(Municipality).where(Municipality.name == "San Martín de los Andes"))
    )
    assert created.key == "san-martin-de-los-andes" and created.country == "AR"
    response = client.post(
        "/admin/municipalities/new",
        data={"action": "save", "m-name": "Córdoba", "m-province": "Córdoba", "m-country": "AR"},
        follow_redirects=True,
    )
    assert "Ya existe un municipio con ese nombre" in response.get_data(as_text=True)
    response = client.post(
        "/admin/municipalities/new", data={"action": "save", "m-name": "", "m-province": "X", "m-country": "ARG"}
    )
    html = response.get_data(as_text=True)
    assert "Escriba el nombre del municipio." in html and "Use el código de dos letras" in html
    assert len(_events(in_app, "municipality_created")) == 1


def test_audit_log_lists_changes_for_staff_only(client, login, make_user, in_app):
    login(make_user(role="iom_officer", municipality=None, email="iom@example.org"))
    person = make_user(name="Persona Auditada")
    client.post(f"/admin/users/{person.id}", data={"action": "deactivate"})
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "Cuenta de Persona Auditada desactivada" in html
    client.post("/auth/logout")
    login(make_user(email="otra@example.org"))
    assert client.get("/admin/audit").status_code == 403


def test_a_coordinator_of_every_municipality_sees_officials_not_staff_pages_or_events(
    app, client, login, make_user, in_app
):
    coordinator = make_user(role="coordinator", municipality=None, email="coord@example.org")
    other_coordinator = make_user(role="coordinator", municipality="cordoba", email="otra-coord@example.org")
    iom = make_user(role="iom_officer", municipality="cordoba", email="oim@example.org")
    official = make_user(email="funcionaria@example.org")

    def setup():
        actor = db.session.get(User, iom.id)
        admin_service.set_scope(
            actor, db.session.get(User, coordinator.id), all_municipalities=True, municipality_ids=set()
        )
        admin_service.set_active(actor, db.session.get(User, official.id), False)
        admin_service.record(
            actor,
            "role_changed",
            target=db.session.get(User, other_coordinator.id),
            details={"role": ["official", "coordinator"]},
        )
        admin_service.record(
            actor, "profile_changed", target=db.session.get(User, iom.id), details={"area_id": [None, 1]}
        )

    in_app(setup)
    login(coordinator)
    assert client.get(f"/monitoring/officials/{official.id}").status_code == 200
    assert client.get(f"/monitoring/officials/{iom.id}").status_code == 404
    assert client.get(f"/monitoring/officials/{other_coordinator.id}").status_code == 404
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "desactivada" in html
    assert "Cambio de rol" not in html and "Cambio de municipio o área" not in html
