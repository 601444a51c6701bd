"""Reads of returns for pages, queues and reports: one module per sub-domain."""
