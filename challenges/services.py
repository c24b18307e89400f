"""Writes of the challenges app; views, APIs, admin, commands and tasks all call these."""
