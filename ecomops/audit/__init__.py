"""Audit and notes (审计与备注): part of the shared kernel."""
