"""Distribution's portal pages."""
