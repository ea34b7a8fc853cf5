"""gunicorn settings for serving the site in production (`make serve`, and the map benchmark).

Server settings only; the application's settings stay in npda/settings.py. Each can be
changed from the environment: NPDA_BIND, WEB_CONCURRENCY (worker processes), NPDA_THREADS.
"""

import multiprocessing
import os

bind = os.environ.get("NPDA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# Four threads a worker: a request waiting for a file another request is drawing (ADR 0019)
# holds a thread but no CPU, and must not leave pages queueing behind it.
threads = int(os.environ.get("NPDA_THREADS", "4"))
worker_class = "gthread"
preload_app = True  # import Django and register the Dash apps once, before forking
timeout = 60
graceful_timeout = 20
max_requests = 5000  # recycle workers now and then
max_requests_jitter = 500
accesslog = os.environ.get("NPDA_ACCESS_LOG") or None
errorlog = "-"
wsgi_app = "npda.wsgi:application"


def post_worker_init(worker) -> None:
    """Each worker fills its caches before serving, then puts what it holds from its start out
    of the garbage collector's sight (npda/pages/warmup.py, ADR 0031)."""
    from npda.pages.warmup import settle_heap, warm_caches

    worker.log.info("caches warmed in %.2f s", warm_caches())
    worker.log.info("%d objects of the worker's start frozen", settle_heap())
