"""What every benchmark says beside its figures: when, how busy the machine was, and how
much memory the process holds (Linux: /proc)."""

from __future__ import annotations

import os
import resource
from pathlib import Path

from django.utils import timezone


def load_average() -> str:
    """Other work shares the two cores: each figure says how busy they were."""
    return "load average " + " ".join(f"{n:.2f}" for n in os.getloadavg())


def stamp() -> str:
    """When and under what load a figure was taken (for the printout)."""
    return f"{timezone.localtime():%Y-%m-%d %H:%M} Asia/Shanghai, {load_average()}"


def rss_mb(field: str = "VmRSS") -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
