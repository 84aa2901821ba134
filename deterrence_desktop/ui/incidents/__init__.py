"""Incidents of serious violence: the list and the quick entry dialog; links between people."""
