"""Plotly figures to PNG or SVG bytes on the server, with kaleido driving the system Chromium
(ADR 0017). One headless Chromium per process, started on first use and kept; kaleido's sync
server runs one image at a time, so callers queue on a lock."""

import threading

from django.conf import settings

IMAGE_FORMATS = ("png", "svg")
CONTENT_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
_lock = threading.Lock()
_started = False


class ImagesUnavailable(Exception):
    """No Chromium to draw with, or it failed: the download says so instead of a 500."""


def _start() -> None:
    global _started
    if _started:
        return
    if not settings.NPDA_CHROMIUM:
        raise ImagesUnavailable("Images cannot be drawn here: no Chromium is installed.")
    import kaleido

    # mathjax=False: kaleido would otherwise ask a CDN for it, and the figures use no TeX.
    kaleido.start_sync_server(
        path=settings.NPDA_CHROMIUM, mathjax=False, timeout=60, silence_warnings=True
    )
    _started = True


def warm() -> None:
    """Start Chromium before the first download (gunicorn workers, benchmarks)."""
    with _lock:
        _start()


def figure_image(figure: dict, fmt: str) -> bytes:
    """The figure drawn at its layout's width and height, as PNG or SVG bytes."""
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"format must be one of {IMAGE_FORMATS}, not {fmt!r}")
    import kaleido

    with _lock:
        _start()
        try:
            return kaleido.calc_fig_sync(figure, opts={"format": fmt})
        except Exception as error:  # kaleido raises its own errors and asyncio's
            raise ImagesUnavailable(f"The image could not be drawn ({error}).") from error
