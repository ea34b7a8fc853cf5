"""A gunicorn worker's start-up heap (ADR 0031)."""

import gc
import weakref

from npda.pages.warmup import settle_heap


def test_a_worker_settles_its_start_up_heap_and_still_collects_what_requests_leave():
    """ADR 0031: what a worker holds from its start is frozen; later garbage is collected."""
    try:
        frozen = settle_heap()
        assert frozen > 10_000  # Django, the URLconf and the Dash apps it registers
        assert gc.get_freeze_count() >= frozen

        class Node:
            pass

        cycle = Node()
        cycle.itself = cycle  # only the collector frees a cycle
        gone = weakref.ref(cycle)
        del cycle
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()
