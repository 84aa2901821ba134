"""Live refresh: what others change on the server reaches this window's pages.

:class:`LiveRefresh` runs a ``store.listen.ChangeListener`` while a server workspace is
open; its callbacks arrive on the listener's thread and cross to the GUI thread through
a queued signal, where each table name becomes the ``ctx.data_changed`` kinds the pages
already reload on (:data:`TABLE_KINDS`, the one table of that mapping).
"""
from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject, Qt, Signal

from ..context import AppContext

# server table -> the data_changed kinds of the pages that show it. Tables not listed
# (audit_entry, workspace_meta, setting, asset) change on every consultation or with a
# user's own view settings: reloading pages for them would make each page's read, which
# is audited, notify every client again.
TABLE_KINDS: dict[str, tuple[str, ...]] = {
    "person": ("person",),
    "influencer": ("person",),
    "retention_review": ("person",),
    "group_record": ("group",),
    "membership": ("person", "group"),
    "group_relation": ("group", "network"),
    "partner": ("partner",),
    "partnership": ("partner",),
    "app_user": ("user",),
    "cohort": ("cohort",),
    "cohort_member": ("cohort",),
    "intervention": ("call_in",),       # the support offers a call-in lists
    "action": ("action",),
    "communication": ("communication",),
    "call_in": ("call_in",),
    "invitation": ("call_in",),
    "custom_notification": ("custom_notification",),
    "meeting": ("meeting",),
    "meeting_item": ("meeting",),
    "signatory": ("signatory",),
    "letter_template": ("letter_template",),
    "letter_batch": ("communication",),
    "letter_issue": ("communication",),
    "incident": ("incident",),
    "incident_person": ("incident",),
    "incident_group": ("incident",),
    "person_link": ("link",),
    "group_audit": ("group_audit",),
    "outcome_event": ("outcome",),
    "custody_episode": ("custody",),
    "release_date_change": ("custody",),
    "local_closure": ("custody",),
    "continuity_template": ("continuity",),
    "template_step": ("continuity",),
    "continuity_plan": ("continuity",),
    "plan_action": ("continuity", "action"),
}
ALL_KINDS: tuple[str, ...] = tuple(dict.fromkeys(k for kinds in TABLE_KINDS.values() for k in kinds))


def kinds_for(tables: Iterable[str]) -> list[str]:
    """The data_changed kinds for changed ``tables``, each once, in a stable order;
    ``"*"`` (after a reconnect) means every kind."""
    tables = set(tables)
    if "*" in tables:
        return list(ALL_KINDS)
    wanted = {k for t in tables for k in TABLE_KINDS.get(t, ())}
    return [k for k in ALL_KINDS if k in wanted]


def refresh_everything(ctx: AppContext) -> None:
    """Every page reloads (or is marked stale): after the connection came back."""
    for kind in ALL_KINDS:
        ctx.data_changed.emit(kind)


class LiveRefresh(QObject):
    """The listener of one open server workspace, its news delivered on the GUI thread."""

    _changed = Signal(object)            # set of table names, from the listener's thread
    _state = Signal(bool)
    connection_changed = Signal(bool)    # on the GUI thread: the listener lost / regained it
    refreshed = Signal(list)             # the kinds emitted (tests and timing)

    def __init__(self, ctx: AppContext, dsn: str, parent: QObject | None = None, *,
                 engine=None):
        """``engine``: the workspace's own, whose writes this window has shown already."""
        super().__init__(parent)
        from ...store.listen import ChangeListener, own_sessions
        self.ctx = ctx
        self._changed.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._state.connect(self.connection_changed, Qt.ConnectionType.QueuedConnection)
        self.listener = ChangeListener(dsn, self._changed.emit, self._state.emit,
                                       ignore=own_sessions(engine) if engine is not None else None)

    def start(self) -> "LiveRefresh":
        self.listener.start()
        return self

    def stop(self) -> None:
        self.listener.stop()

    def _deliver(self, tables: set[str]) -> None:
        if not self.ctx.unlocked:
            return
        kinds = kinds_for(tables)
        for kind in kinds:
            self.ctx.data_changed.emit(kind)
        if kinds:
            self.refreshed.emit(kinds)
