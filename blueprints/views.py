"""Pages of the blueprints app."""
