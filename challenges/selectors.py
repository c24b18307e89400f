"""Reads of the challenges app, with their permission checks."""
