"""Bringing a partnership in from the spreadsheets it already keeps.

``readers`` turns an .xlsx, .csv or .ods file into a table of text cells (header
found below a title block, merged header cells filled, blank and total rows left
out); ``values`` reads dates, names and enumerations the way UK spreadsheets hold
them; ``mapping`` guesses which column is which field; ``matching`` finds the
people a file already has in the workspace, and duplicates within the file. No Qt.
"""
