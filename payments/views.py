"""Pages of the payments app."""
