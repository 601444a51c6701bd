"""Business calendar (工作日历): part of the shared kernel."""
