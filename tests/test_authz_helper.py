"""The helpers of the route-by-route authorisation test (tests/authz.py) do what they promise."""

from tests.authz import build_url, check_matrix, missing_entries, url_rules


def test_every_rule_is_enumerated_and_a_rule_without_an_entry_is_reported(app):
    rules = url_rules(app)
    assert ("admin.user", "POST", "/admin/users/<int:user_id>") in rules
    assert not any(endpoint == "static" for endpoint, _, _ in rules)
    expected = {(endpoint, method): {} for endpoint, method, _ in rules if endpoint != "public.privacy"}
    assert missing_entries(app, expected) == ["GET /privacy (public.privacy)"]


def test_urls_are_built_from_values_by_argument_name(app):
    assert build_url(app, "/admin/users/<int:user_id>", {"user_id": 7}) == "/admin/users/7"


def test_check_matrix_reports_statuses_that_differ(app, client):
    expected = {(endpoint, method): {"anonymous": 200} for endpoint, method, _ in url_rules(app)}
    problems = check_matrix(
        app,
        {"anonymous": client},
        {k: v for k, v in expected.items() if k[0] in ("public.index", "learning.catalogue")},
        values={},
    )
    assert any(line.startswith("anonymous GET /modules: 302") for line in problems)
    assert not any("GET / " in line or line.startswith("anonymous GET /:") for line in problems)
