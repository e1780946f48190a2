"""Helpers for the authorisation test that enumerates every URL rule (`app.url_map`).

A matrix maps each endpoint (and method) to the status each kind of viewer must get:

    EXPECTED = {
        ("monitoring.official", "GET"): {"anonymous": 302, "official": 403, "coordinator_in": 200,
                                         "coordinator_out": 404, "coordinator_all": 200, "iom": 200},
        ...
    }

`missing_entries(app, EXPECTED)` lists the rules without an entry (a route added without one fails the
test); `check_matrix(app, clients, EXPECTED, values)` requests every rule as every viewer, filling URL
arguments from `values` (by argument name), and returns the mismatches as readable lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Flask

IGNORED_METHODS = {"HEAD", "OPTIONS"}
IGNORED_ENDPOINTS = {"static"}


def url_rules(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) for every route of the app, sorted; HEAD/OPTIONS and static left out."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            found.add((rule.endpoint, method, rule.rule))
    return sorted(found)


def missing_entries(app: Flask, expected: Mapping[tuple[str, str], Mapping[str, int]]) -> list[str]:
    """Every 'METHOD rule (endpoint)' that has no entry in the expected matrix."""
    return [
        f"{method} {rule} ({endpoint})"
        for endpoint, method, rule in url_rules(app)
        if (endpoint, method) not in expected
    ]


def build_url(app: Flask, rule: str, values: Mapping[str, object]) -> str:
    """The rule's URL with its arguments taken from `values` (by name); KeyError names a missing one."""
    adapter = app.url_map.bind("localhost")
    for candidate in app.url_map.iter_rules():
        if candidate.rule == rule:
            arguments = {name: values[name] for name in candidate.arguments}
            return adapter.build(candidate.endpoint, arguments, force_external=False)
    raise LookupError(rule)


def check_matrix(
    app: Flask,
    clients: Mapping[str, object],
    expected: Mapping[tuple[str, str], Mapping[str, int]],
    values: Mapping[str, object],
    data_for: Callable[[str, str], dict] | None = None,
) -> list[str]:
    """Request every rule as every viewer in `clients` (test clients already signed in) and return one
    line per status that differs from the matrix. `data_for(endpoint, method)` gives a POST body."""
    problems = []
    for endpoint, method, rule in url_rules(app):
        statuses = expected.get((endpoint, method))
        if statuses is None:
            problems.append(f"no entry: {method} {rule} ({endpoint})")
            continue
        url = build_url(app, rule, values)
        for viewer, client in clients.items():
            if viewer not in statuses:
                problems.append(f"no expectation for {viewer}: {method} {url}")
                continue
            body = data_for(endpoint, method) if data_for and method != "GET" else None
            response = client.open(url, method=method, data=body)
            if response.status_code != statuses[viewer]:
                problems.append(f"{viewer} {method} {url}: {response.status_code}, expected {statuses[viewer]}")
    return problems
