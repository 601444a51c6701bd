"""Distribution's reads for views, reports and tasks."""
