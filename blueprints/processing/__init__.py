"""Checking and previewing uploaded files: no database, no Django models, only bytes in and facts out."""
