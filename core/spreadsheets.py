"""Cells for CSV files that people open in a spreadsheet (score exports, earnings statements, the
dossier's bill of materials): text a spreadsheet would run as a formula is kept as text."""

# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """The value, with a leading apostrophe when it is text that starts a formula. Numbers stay numbers
    (a negative amount is not a formula); titles, names and notes typed by members are quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
