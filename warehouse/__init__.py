"""Warehouse."""
