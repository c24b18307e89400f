"""Reads of the submissions app, with their permission checks."""
