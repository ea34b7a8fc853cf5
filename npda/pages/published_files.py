"""Files drawn from published releases (chart and map images, PDF reports, area files and
whole-release API dumps), drawn once and kept (docs/adr/0019-published-files.md).

A published release never changes, so neither does a file drawn from it: each file is named
by a key holding everything its bytes depend on (what it is, its canonical state, the release's
id and creation time), drawn on its first request and kept on disk under
NPDA_PUBLISHED_FILES_DIR. Later requests are served from disk with the key's digest as ETag (a
matching If-None-Match gets 304 before any work), and, when the URL names its release, as
`public, max-age=31536000, immutable`.

Only one drawing of the same file runs at a time on a host (a lock file per key: the others
wait for it and serve what it wrote), and each server process draws at most
NPDA_RENDERS_PER_WORKER files at once; a request that cannot get a turn within
RENDER_WAIT_SECONDS is told to try again (503). The folder never holds more than
NPDA_PUBLISHED_FILES_MAX_MB: the oldest files go first (any file can be drawn again).
"""

import fcntl
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

logger = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=300"  # "latest" and trend files change when a release is made
RENDER_WAIT_SECONDS = 30
PRUNE_EVERY_WRITES = 50

_render_slots = threading.BoundedSemaphore(settings.NPDA_RENDERS_PER_WORKER)
_writes = 0
_writes_lock = threading.Lock()


class RenderBusy(Exception):
    """No turn to draw the file in time: the caller answers 503 with Retry-After."""


@dataclass(frozen=True)
class PublishedFile:
    name: str  # the download's file name, with its extension
    content_type: str
    key: tuple  # everything the bytes depend on, release id and creation time included
    immutable: bool  # the URL names its release, so what it serves can never change
    attachment: bool = True  # a download (Content-Disposition), not a page or API answer
    streamed: bool = False  # large (a whole release's rows): read from disk a piece at a time

    @cached_property
    def digest(self) -> str:
        return hashlib.sha256(repr(self.key).encode()).hexdigest()[:40]

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'

    @property
    def path(self) -> Path:
        extension = self.name.rsplit(".", 1)[-1]
        return (
            Path(settings.NPDA_PUBLISHED_FILES_DIR) / self.digest[:2] / f"{self.digest}.{extension}"
        )


def serve(request: HttpRequest, file: PublishedFile, render: Callable[[], bytes]) -> HttpResponse:
    """The file, drawn by `render` only when it is not kept yet. Errors `render` raises (a
    NotFound, images unavailable) reach the caller and nothing is kept."""
    if file.etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        return _with_headers(HttpResponse(status=304), file)
    try:
        path = stored(file, render)
    except RenderBusy as busy:
        response = HttpResponse(str(busy), status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "5"
        return response
    return _with_headers(_file_response(path, file), file)


def _file_response(path: Path, file: PublishedFile) -> HttpResponse:
    """Small files (images, reports) in one piece; large ones (whole-release dumps) streamed
    from disk, so a worker never holds 67 MB for one answer."""
    if file.streamed:
        return FileResponse(path.open("rb"), content_type=file.content_type,
                            as_attachment=file.attachment, filename=file.name)  # fmt: skip
    response = HttpResponse(path.read_bytes(), content_type=file.content_type)
    response["Content-Disposition"] = content_disposition_header(file.attachment, file.name)
    return response


def _with_headers(response: HttpResponse, file: PublishedFile) -> HttpResponse:
    response["ETag"] = file.etag
    response["Cache-Control"] = IMMUTABLE if file.immutable else REVALIDATE
    response.published = True  # the same for everyone: kept by caches even when signed in
    return response


def stored(file: PublishedFile, render: Callable[[], bytes]) -> Path:
    """The kept file's path, drawing it first if need be (once per host at a time)."""
    path = file.path
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(path.with_suffix(".lock")):
        if path.exists():  # drawn by whoever held the lock before us
            return path
        with _render_slot():
            started = time.perf_counter()
            content = render()
            logger.info("Drew %s in %.2f s", file.name, time.perf_counter() - started)
        partial = path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.part")
        partial.write_bytes(content)
        os.replace(partial, path)  # readers see the whole file or none
    _count_write()
    return path


class _file_lock:
    """An exclusive lock on a lock file beside the kept file, across processes on this host;
    waits at most RENDER_WAIT_SECONDS."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.handle = self.path.open("a")
        deadline = time.monotonic() + RENDER_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError as held:
                if time.monotonic() > deadline:
                    self.handle.close()
                    raise RenderBusy("This file is still being drawn: try again shortly.") from held
                time.sleep(0.02)

    def __exit__(self, *exc):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


class _render_slot:
    def __enter__(self):
        if not _render_slots.acquire(timeout=RENDER_WAIT_SECONDS):
            raise RenderBusy("The server is busy drawing other files: try again shortly.")

    def __exit__(self, *exc):
        _render_slots.release()


def _count_write() -> None:
    global _writes
    with _writes_lock:
        _writes += 1
        due = _writes % PRUNE_EVERY_WRITES == 0
    if due:
        prune(settings.NPDA_PUBLISHED_FILES_MAX_MB * 1024 * 1024)


def prune(max_bytes: int) -> int:
    """Delete the oldest kept files until the folder holds at most 80 % of `max_bytes` (when
    it holds more than `max_bytes`); returns how many went."""
    root = Path(settings.NPDA_PUBLISHED_FILES_DIR)
    files = [(entry.stat().st_mtime, entry.stat().st_size, entry)
             for entry in root.glob("*/*") if entry.suffix not in (".lock", ".part")]  # fmt: skip
    total = sum(size for _, size, _ in files)
    if total <= max_bytes:
        return 0
    removed = 0
    for _, size, entry in sorted(files, key=lambda f: f[0]):
        if total <= 0.8 * max_bytes:
            break
        entry.unlink(missing_ok=True)
        total -= size
        removed += 1
    return removed
