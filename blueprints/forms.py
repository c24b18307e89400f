"""Forms of the blueprints app."""
