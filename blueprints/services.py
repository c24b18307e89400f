"""Writes of the blueprints app; views, APIs, admin, commands and tasks all call these."""
