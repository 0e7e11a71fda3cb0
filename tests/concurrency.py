"""Run jobs in threads that all start at the same moment."""

from __future__ import annotations

import threading


def run_at_once(jobs) -> list:
    """Each job's result (or the exception it raised), in order; every thread waits at a
    barrier so the jobs really overlap."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(index, job):
        barrier.wait()
        try:
            results[index] = job()
        except Exception as error:  # noqa: BLE001 - reported by the callers' assertions
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
