"""Forms of the challenges app."""
