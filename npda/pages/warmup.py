"""Fill the in-process caches a server's first visitors would otherwise pay for: the web shapes
of every map level and the peer features of the current final release (both read once per
release or reference load, then kept), the Chromium that draws images and
WeasyPrint's fonts. Called by each
gunicorn worker before it serves."""

import gc
import logging
import time

logger = logging.getLogger(__name__)


def warm_caches() -> float:
    """Seconds spent; a failure is logged, never raised (a cold cache is only slower)."""
    from aggregation import selectors
    from boundaries import selectors as boundaries

    started = time.perf_counter()
    try:
        for level in ("icb", "region", "lhb", "country"):
            boundaries.area_geometry(level)
            boundaries.area_bounds(level)
        boundaries.unit_points()
        latest = selectors.latest_final_release()
        if latest is not None:
            selectors.unit_peers(latest.id, "")
    except Exception:  # warming is an optimisation: the request path works without it
        logger.exception("Could not warm the caches")
    try:
        from dashboards import area_report, rendering

        rendering.warm()  # Chromium for chart, map and PDF downloads (about 2.5 s to start)
        area_report.warm()  # WeasyPrint's fonts (about 2.5 s on first use)
    except Exception:
        logger.exception("Could not warm the image and PDF drawing: downloads will be slower")
    return time.perf_counter() - started


def settle_heap() -> int:
    """Move what a worker holds from its start (modules, the Dash apps, the caches just warmed)
    out of the garbage collector's sight, and return how many objects that was. A full
    collection would otherwise walk them all, about 0.13 s each time, and a request that
    builds a large upload's records sets off several (ADR 0031)."""
    from django.urls import get_resolver

    if not get_resolver().url_patterns:  # the URLconf and the Dash apps it registers, loaded
        logger.warning("The URLconf has no patterns")
    gc.collect()
    frozen = len(gc.get_objects())
    gc.freeze()
    return frozen
