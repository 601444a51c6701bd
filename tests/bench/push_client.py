"""A signed-push client in a process of its own (``test_single_pushes_clients_apart``).

Reads a JSON file of ``{"port", "path", "threads", "requests": [[body, headers], …]}``,
posts every request from ``threads`` keep-alive connections and prints
``{"seconds", "statuses"}``. Nothing of Django is imported: the clients cost the two
cores only what an HTTP client costs.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from pathlib import Path


def main(path: str) -> None:
    job = json.loads(Path(path).read_text(encoding="utf-8"))
    requests = iter(job["requests"])
    lock = threading.Lock()
    statuses: dict[int, int] = {}

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", job["port"], timeout=60)
        while True:
            with lock:
                request = next(requests, None)
            if request is None:
                return
            body, headers = request
            conn.request("POST", job["path"], body=body.encode(), headers=headers)
            response = conn.getresponse()
            response.read()
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(job["threads"])]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"seconds": time.perf_counter() - start, "statuses": statuses}))


if __name__ == "__main__":
    main(sys.argv[1])
