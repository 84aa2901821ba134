"""The PySide6 application (Model/View, one database worker thread)."""
