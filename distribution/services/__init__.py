"""Distribution's write use cases, one module per process."""
