"""Returns and after-sales."""
