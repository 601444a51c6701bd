"""Notifications (通知): part of the shared kernel."""
