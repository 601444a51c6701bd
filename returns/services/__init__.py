"""Writes of returns: split by sub-domain (return requests, photos, cases, scripts)."""
