"""Django's PostgreSQL backend, with a cheaper health check (``CONN_HEALTH_CHECKS``).

Django checks a persistent connection at the start of each request with ``SELECT 1``: a
round trip, and on the signed push about a sixth of the worker's and the database's CPU.
What the check is for is a connection the server ended (a restart, an idle timeout,
``pg_terminate_backend``): the server then writes its FATAL message and closes the socket,
so an idle connection whose socket has nothing to read is alive as far as any check can
tell without asking. Only when something arrived while idle, or the driver saw the
connection closed, does this backend fall back to Django's ``SELECT 1`` (which closes the
connection and lets the request open a new one if the server is gone).
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        raw = self.connection
        if raw is None or raw.closed:
            return False
        try:
            poller = select.poll()  # not select(): no limit on the descriptor's number
            poller.register(raw.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
            quiet = not poller.poll(0)
        except (OSError, ValueError):  # the socket is gone
            return False
        return quiet or bool(super().is_usable())
