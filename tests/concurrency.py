"""Running callables at the same moment in threads, each with its own connection."""

from __future__ import annotations

import threading
from typing import Any

from django.db import connections


def race(targets: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(targets))
    results: list[Any] = [None] * len(targets)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = targets[index]()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
