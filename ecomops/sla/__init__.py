"""SLA clocks (时限): part of the shared kernel."""
