"""Opening a server workspace for the desktop, and the password kept in the system keyring.

The server login is the sign-in: :func:`open_server` connects as the login
(``ServerWorkspace.connect`` verifies the server's certificate against the partnership's
CA file) and returns the services acting as that login's ``app_user`` row, with the
partnership's name for the window title. No file passphrase, no second password.

Passwords are never written to the app's settings. A user may choose to keep theirs in
the system keyring (GNOME Keyring, KWallet, the macOS Keychain, the Windows Credential
Manager) under the server's label (``user@host:port/database``); a computer without one
gets a plain sentence saying so, and the connection goes on without it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..domain.errors import DeterrenceError

log = logging.getLogger(__name__)

KEYRING_SERVICE = "Deterrence Desktop team server"
NO_KEYRING = ("This computer has no system keyring (such as GNOME Keyring, KWallet, the macOS "
              "Keychain or the Windows Credential Manager), so the password cannot be kept: "
              "type it each time you connect.")


class KeyringUnavailable(DeterrenceError):
    """No usable system keyring on this computer (or it refused)."""


@dataclass
class OpenedServer:
    services: Any                # WorkspaceServices acting as the login's app_user
    partnership: str             # the partnership's name (for the window title)
    notice: str = ""             # e.g. the keyring could not keep the password


def open_server(address, password: str, *, remember: bool | None = None,
                clock=None, via: str = "desktop") -> OpenedServer:
    """Connect to ``address`` as its login (on the database worker: it blocks).

    ``remember``: True keeps the password in the keyring, False removes any kept one,
    None leaves the keyring alone. Raises ``ServerRefused`` with its own sentence."""
    from ..store.server import ServerWorkspace
    from .app import WorkspaceServices
    ws = ServerWorkspace.connect(address, password)
    try:
        services = WorkspaceServices.for_server(ws, clock=clock, via=via)
        name = services.partnership.get().name
    except BaseException:
        ws.close()
        raise
    notice = ""
    if remember:
        try:
            remember_password(address, password)
        except KeyringUnavailable as exc:
            notice = str(exc)
    elif remember is False:
        forget_password(address)
    return OpenedServer(services, name, notice)


# -- the system keyring ---------------------------------------------------------------------
def _keyring():
    try:
        import keyring
        from keyring.backends import fail
    except ImportError as exc:           # pragma: no cover - a dependency of the app
        raise KeyringUnavailable(NO_KEYRING) from exc
    if isinstance(keyring.get_keyring(), fail.Keyring):
        raise KeyringUnavailable(NO_KEYRING)
    return keyring


def keyring_available() -> bool:
    try:
        _keyring()
    except KeyringUnavailable:
        return False
    return True


def remember_password(address, password: str) -> None:
    """Keep ``password`` in the system keyring for ``address``; KeyringUnavailable if not."""
    kr = _keyring()
    try:
        kr.set_password(KEYRING_SERVICE, address.label(), password)
    except Exception as exc:  # noqa: BLE001 - keyring backends raise their own kinds
        log.info("keyring refused to keep a password: %s", type(exc).__name__)
        raise KeyringUnavailable("The system keyring did not keep the password (it may be "
                                 "locked): type it each time you connect.") from None


def remembered_password(address) -> str | None:
    """The password kept for ``address``, or None (none kept, or no keyring)."""
    try:
        return _keyring().get_password(KEYRING_SERVICE, address.label())
    except Exception as exc:  # noqa: BLE001 - no keyring, a locked one: type it instead
        log.info("keyring unavailable: %s", type(exc).__name__)
        return None


def forget_password(address) -> None:
    try:
        kr = _keyring()
        if kr.get_password(KEYRING_SERVICE, address.label()) is not None:
            kr.delete_password(KEYRING_SERVICE, address.label())
    except Exception as exc:  # noqa: BLE001 - nothing kept, or no keyring: nothing to forget
        log.info("keyring: nothing forgotten (%s)", type(exc).__name__)
