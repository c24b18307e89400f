"""Writes of the submissions app; views, APIs, admin, commands and tasks all call these."""
