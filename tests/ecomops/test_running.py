"""Running the portal locally: the port, the address e-mails link to, Celery's folders."""

# These tests run the project's own files (Procfile.dev, the Makefile, settings) in a shell.
# ruff: noqa: S603, S607

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from honcho.environ import parse_procfile

from ecomops.notifications.services import notify_users

ROOT = Path(settings.BASE_DIR)


def _web_command(env: dict[str, str]) -> str:
    """The web process's command line of Procfile.dev as the shell expands it."""
    web = parse_procfile((ROOT / "Procfile.dev").read_text()).processes["web"]
    clean = {k: v for k, v in os.environ.items() if k != "PORT"}
    result = subprocess.run(
        ["sh", "-c", f"echo {web}"], env={**clean, **env}, capture_output=True, text=True
    )
    return result.stdout.strip()


def test_procfile_serves_on_port_from_the_environment() -> None:
    assert _web_command({"PORT": "8123"}).endswith("runserver 127.0.0.1:8123")
    assert _web_command({}).endswith("runserver 127.0.0.1:8000")


def test_make_run_prints_the_address_it_serves_on() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    [echo] = [line for line in dry_run if line.startswith('echo "Portal:')]
    clean = {k: v for k, v in os.environ.items() if k not in ("PORT", "PORTAL_BASE_URL")}

    def printed(**env: str) -> str:
        out = subprocess.run(["sh", "-c", echo], env={**clean, **env}, capture_output=True)
        return out.stdout.decode()

    assert "http://127.0.0.1:8123/" in printed(PORT="8123")
    assert "http://127.0.0.1:8000/" in printed()
    # honcho gets the same port (it would pick 5000 by itself) and e-mails link to it.
    start = next(i for i, line in enumerate(dry_run) if line.startswith("PORT="))
    assert "PORT=${PORT:-8000}" in dry_run[start]
    assert "PORTAL_BASE_URL=${PORTAL_BASE_URL:-http://127.0.0.1:${PORT:-8000}}" in dry_run[start]


def test_portal_base_url_defaults_to_where_make_run_serves() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PORTAL_BASE_URL"}
    code = "from ecomops.settings import dev; print(dev.PORTAL_BASE_URL)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "http://127.0.0.1:8000"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("/orders/5/", "https://ops.example.cn:8443/orders/5/"),
        ("orders/5/", "https://ops.example.cn:8443/orders/5/"),
        ("https://bank.example.cn/receipt/1", "https://bank.example.cn/receipt/1"),
    ],
)
def test_email_link_starts_with_the_portal_base_url(
    make_user: Any, django_capture_on_commit_callbacks: Any, stored: str, expected: str
) -> None:
    user = make_user("packer", email="packer@example.cn")
    with (
        override_settings(PORTAL_BASE_URL="https://ops.example.cn:8443/"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify_users(users=[user], title="包装台缺货", body="SKU A-1", url=stored)
    [message] = mail.outbox
    link = message.body.splitlines()[-1]
    assert link == expected


PROBE = """
import json, os
from kombu import Exchange, Queue
from django.conf import settings
from ecomops.celery import app
with app.connection_for_write() as conn:
    channel = conn.channel()
    # A fanout exchange, as the workers' broadcast (pidbox) uses: kombu keeps its table
    # in the control folder.
    exchange = Exchange("probe", type="fanout")
    queue = Queue("probe", exchange)
    queue(channel).declare()
    conn.Producer(channel).publish({"n": 1}, exchange=exchange, routing_key="")
    message = queue(channel).get(no_ack=True)
print(json.dumps({
    "options": settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "var_dir": str(settings.VAR_DIR),
    "payload": message.payload,
    "cwd": sorted(os.listdir(".")),
}))
"""


def test_filesystem_transport_keeps_every_folder_under_var(tmp_path: Path) -> None:
    """Before, kombu wrote its exchange tables to ./control wherever a worker started
    (and the folder ended up committed)."""
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ecomops.settings.dev",
        "CELERY_BROKER_URL": "filesystem://",
        "ECOMOPS_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(ROOT),
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=workdir, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    options = found["options"]
    var_dir = Path(found["var_dir"])
    folders = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")
    for name in folders:
        assert Path(options[name]).is_relative_to(var_dir / "celery"), name
    assert found["payload"] == {"n": 1}
    assert found["cwd"] == []  # nothing written where the process started
    assert (var_dir / "celery" / "control" / "probe.exchange").exists()
