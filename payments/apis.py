"""REST API views of the payments app."""
