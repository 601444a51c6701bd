"""Fault injection helpers (issue 23): a Redis server of the test's own to stop and start
again, a real Celery worker process to kill, and the in-process app pointed at that broker.

Never the shared Redis on 6379: each test starts its own server on a free port from 6390.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from kombu import pools as kombu_pools

ROOT = Path(__file__).resolve().parent.parent
REDIS = shutil.which("redis-server")


def free_port(start: int = 6390) -> int:
    for port in range(start, start + 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for a test Redis")


class RedisServer:
    """``redis-server`` on a port of its own, without persistence: ``stop()`` kills it (the
    broker goes away with every message in it, as in an outage), ``start()`` brings it back
    on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert REDIS is not None
        self.process = subprocess.Popen(  # noqa: S603
            [
                REDIS,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                tempfile.gettempdir(),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("the test Redis did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def queue_length(self, queue: str = "celery") -> int:
        import redis

        return int(redis.Redis.from_url(self.url).llen(queue))


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test_… copy)."""
    params = connection.settings_dict
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


class WorkerProcess:
    """``celery -A ecomops worker`` as a process group of its own (solo pool: one process,
    the one running the task), on this test's database and broker."""

    def __init__(self, broker_url: str, **env: str) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log")  # noqa: SIM115
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "ecomops.settings.test",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker_url,
            **env,
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ecomops",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL to the whole worker (its process group): nothing runs its clean-up."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


def sender(broker_url: str) -> Any:
    """A bare Celery app publishing to ``broker_url``, as beat does: by task name."""
    from celery import Celery

    # Not the current app: the project's tasks (shared tasks) would otherwise resolve to this
    # one, which is not eager, for the rest of the test process.
    app = Celery("fault-sender", broker=broker_url, set_as_current=False)
    # broker_write_url: a CELERY_BROKER_URL in the environment would win over broker_url.
    app.conf.update(task_serializer="json", accept_content=["json"], broker_write_url=broker_url)
    return app


@contextmanager
def app_on_broker(broker_url: str) -> Iterator[Any]:
    """The project's Celery app publishing to ``broker_url`` for real (not eagerly), its
    connection pools rebuilt; restored afterwards."""
    from ecomops.celery import app

    # The write URL: Celery's broker_url answers the CELERY_BROKER_URL environment variable
    # (CI's shared Redis) before any setting, broker_write_url a setting first.
    kept = {
        key: app.conf.get(key)
        for key in ("task_always_eager", "broker_write_url", "broker_transport_options")
    }

    def reset_pools() -> None:
        # Celery keeps its connection and producer pools once made, and kombu keeps its own
        # per broker for the whole process: drop them all so the next publish, in this test
        # or a later one on the same worker, connects to the broker now configured instead of
        # acquiring from a pool closed here ("Acquire on closed pool").
        celery: Any = app
        celery.amqp._producer_pool = None
        if celery._pool is not None:
            celery._pool.force_close_all()
            celery._pool = None
        kombu_pools.reset()

    app.conf.update(
        task_always_eager=False,
        broker_write_url=broker_url,
        broker_transport_options={
            **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            "socket_connect_timeout": 2,
        },
    )
    reset_pools()
    try:
        yield app
    finally:
        app.conf.update(kept)
        reset_pools()
