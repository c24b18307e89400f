"""Reads of the blueprints app, with their permission checks."""
