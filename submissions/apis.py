"""REST API views of the submissions app."""
