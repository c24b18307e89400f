"""Reads of the payments app, with their permission checks."""
