"""Servers in the start screen's recent list, beside workspace files.

A server is kept in the same recent list as files, as its address without a password
(``postgresql://user@host:port/database?sslrootcert=PATH``), and shown by its label
(``user@host:port/database``).
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidgetItem


def parse(entry: str):
    """The ServerAddress of a recent entry, or None if it does not read as one."""
    from ...domain.errors import DeterrenceError
    from ...store.server import ServerAddress     # the database stack: only for servers
    try:
        return ServerAddress.parse(entry)
    except DeterrenceError:
        return None


def server_item(entry: str) -> QListWidgetItem:
    address = parse(entry)
    text = address.label() if address is not None else entry
    item = QListWidgetItem(f"{text}    —    server")
    item.setData(Qt.ItemDataRole.UserRole, entry)
    item.setToolTip("A workspace on your partnership's server: choose it to sign in")
    return item
