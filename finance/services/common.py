"""What every finance service checks first."""

from __future__ import annotations

from ecomops.errors import require_permission as require

__all__ = ["require"]
