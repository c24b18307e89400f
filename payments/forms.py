"""Forms of the payments app."""
