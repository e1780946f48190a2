"""The performance benchmark of MigraCiudades Campus (issue 12): see docs/performance.md.

- `generate`: a synthetic programme at scale 1 or 10 into SQLite or PostgreSQL.
- `pages`: per main page and export, the SQL statement count and median/p95 server time.
- `load`: gunicorn on PostgreSQL under locust (headless) on loopback, with a bare-Flask ceiling.
"""
