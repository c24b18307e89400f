"""REST API views of the challenges app."""
