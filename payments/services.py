"""Writes of the payments app; views, APIs, admin, commands and tasks all call these."""
