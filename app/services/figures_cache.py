"""Monitoring figures kept for a short while, shared by every worker (issue 12).

The whole-programme aggregates (overview, per-module and per-area figures, gender outcomes, the most
missed questions) read every official's progress summary or every answer to a quiz: their cost grows
with the programme. Coordinators read the same figures over and over, and a figure a minute old tells
them the same thing, so each aggregate is kept for `FIGURES_CACHE_SECONDS` (default 60; 0 turns this
off) under its exact inputs: the function, the viewer's scope, the filters and the other arguments, and
the content version (a content sync that adds or retires a module changes every key). What is kept are
raw figures: disclosure control is applied to them on every view, as to fresh ones.

Kept figures older than that are not thrown away at once: for as long again they are still shown, and
the first view that finds them old computes fresh ones after its response has gone out (one worker at
a time, by a marker in the store), so a coordinator waits for a computation only when nobody has looked
for twice `FIGURES_CACHE_SECONDS`. Pages say when the figures they show were computed.

Where Redis is configured (`REDIS_URL`) the figures live there, so every worker on every host shares
them; without it, in each worker's memory. Redis unreachable: the figures are computed as if nothing
were kept (a warning is logged at most once a minute). Only monitoring pages and exports read through
here; certification and eligibility always read live data.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import datetime, timezone
from functools import partial, wraps

from flask import current_app, g, has_app_context, has_request_context
from flask_caching import Cache

log = logging.getLogger(__name__)

cache = Cache()
KEY_PREFIX = "campus:figures:"
_quiet_until = 0.0


def configure(app) -> None:
    """Bind the store: Redis when configured, else this worker's memory."""
    redis_url = app.config.get("REDIS_URL")
    settings = {"CACHE_KEY_PREFIX": KEY_PREFIX, "CACHE_DEFAULT_TIMEOUT": app.config["FIGURES_CACHE_SECONDS"]}
    if redis_url:
        settings.update(
            CACHE_TYPE="RedisCache",
            CACHE_REDIS_URL=redis_url,
            CACHE_OPTIONS={"socket_connect_timeout": 1, "socket_timeout": 1},
        )
    else:
        # at most 100 sets of figures per worker (each a few hundred KiB at country scale), each kept for
        # twice FIGURES_CACHE_SECONDS (shown while a fresh set is computed after the response)
        settings.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=100)
    cache.init_app(app, config=settings)

    @app.after_request
    def refresh_after_the_response(response):
        pending = g.pop("figures_to_refresh", None)
        if pending:
            response.call_on_close(partial(_refresh, app, pending))
        return response


def _clock() -> datetime:
    return datetime.now(timezone.utc)


def _refresh(app, pending: list) -> None:
    """Compute figures found old, once the response has gone out; any failure leaves the old ones."""
    from app.extensions import db

    with app.app_context():
        for key, fn, scope_ids, args, kwargs, seconds in pending:
            try:
                value = fn(scope_ids, *args, **kwargs)
                cache.set(key, (_clock(), value), timeout=2 * seconds)
            except Exception:  # noqa: BLE001 (nobody is waiting: log it, keep what is kept)
                log.exception("figures refresh failed for %s", key)
            finally:
                db.session.rollback()  # one failure does not spoil the next set
                try:
                    cache.delete(key + ":refreshing")
                except Exception as error:  # noqa: BLE001
                    _warn("refresh", error)


def _refresh_later(key: str, fn, scope_ids, args: tuple, kwargs: dict, seconds: int) -> None:
    """Have fresh figures computed after this response, unless another view is computing them."""
    if not has_request_context():
        return
    try:
        claimed = cache.add(key + ":refreshing", 1, timeout=seconds)
    except Exception as error:  # noqa: BLE001
        _warn("refresh", error)
        return
    if claimed:
        g.setdefault("figures_to_refresh", []).append((key, fn, scope_ids, args, kwargs, seconds))


def _scope_key(scope_ids) -> object:
    return None if scope_ids is None else tuple(sorted(scope_ids))


def key_for(name: str, scope_ids, args: tuple, kwargs: dict) -> str:
    """The figures' exact inputs, as a short key."""
    from app.services.content_cache import content_version

    parts = repr((name, content_version(), _scope_key(scope_ids), args, sorted(kwargs.items())))
    return name + ":" + hashlib.sha256(parts.encode()).hexdigest()[:32]


def _warn(action: str, error: Exception) -> None:
    global _quiet_until
    if time.monotonic() >= _quiet_until:
        _quiet_until = time.monotonic() + 60
        log.warning(
            "figures cache unreachable on %s (%s): computing figures directly", action, error.__class__.__name__
        )


def _note_as_of(computed_at: datetime) -> None:
    """The oldest figure this request showed (the pages say when their figures were computed)."""
    shown = g.get("figures_as_of")
    if shown is None or computed_at < shown:
        g.figures_as_of = computed_at


def kept(fn):
    """Keep what `fn(scope_ids, filters, ...)` returns for FIGURES_CACHE_SECONDS under its inputs (and
    show it for as long again while a later view computes fresh figures after its response)."""
    name = f"{fn.__module__}.{fn.__qualname__}"

    @wraps(fn)
    def wrapper(scope_ids, *args, **kwargs):
        seconds = current_app.config["FIGURES_CACHE_SECONDS"] if has_app_context() else 0
        if seconds <= 0:
            return fn(scope_ids, *args, **kwargs)
        key = key_for(name, scope_ids, args, kwargs)
        try:
            hit = cache.get(key)
        except Exception as error:  # noqa: BLE001 (any store failure: connection, timeout, protocol)
            _warn("read", error)
            hit = None
        if hit is not None:
            computed_at, value = hit
            if (_clock() - computed_at).total_seconds() >= seconds:
                _refresh_later(key, fn, scope_ids, args, kwargs, seconds)
            _note_as_of(computed_at)
            return value
        value = fn(scope_ids, *args, **kwargs)
        computed_at = _clock()
        try:
            cache.set(key, (computed_at, value), timeout=2 * seconds)
        except Exception as error:  # noqa: BLE001
            _warn("write", error)
        _note_as_of(computed_at)
        return value

    wrapper.uncached = fn
    return wrapper
