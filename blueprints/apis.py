"""REST API views of the blueprints app."""
