"""Staff portal (员工门户): part of the shared kernel."""
