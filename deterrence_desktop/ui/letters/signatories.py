"""Letters → Signatories and letterhead: who signs the letters, and how a reader gets in touch.

Every write goes through the letters service on the database worker (one audited
transaction each). Signature images are read from disk on the worker too.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
    QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QTableView,
    QVBoxLayout, QWidget,
)

from ...domain.errors import DeterrenceError, ValidationError
from ...services.letters import LetterheadView, SignatoryView
from ..errors import show_failure
from ..models import Column, RowsModel, text_column
from ..style import set_role

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg)"


@dataclass(frozen=True)
class SignatoryChoices:
    signatories: tuple[SignatoryView, ...]
    letterhead: LetterheadView
    partners: tuple[tuple[int, str], ...]


def load_signatory_choices(services) -> SignatoryChoices:
    """Runs on the worker."""
    return SignatoryChoices(tuple(services.letters.signatories()), services.letters.letterhead(),
                            tuple((p.id, p.name) for p in services.partners.all()))


def signatory_label(s: SignatoryView) -> str:
    parts = [x for x in (s.title, s.partner_name) if x]
    return s.name + (f" ({', '.join(parts)})" if parts else "")


def _read_image(path: str) -> bytes | None:
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ValidationError("signature", f"cannot read the image ({exc.strerror})") from None


class SignatoryDialog(QDialog):
    """Add or change someone who signs letters: name, title, partner, signature image."""

    saved = Signal(object)

    def __init__(self, ctx, partners, current: SignatoryView | None = None, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.current = current
        self.setWindowTitle("Edit signatory" if current else "Add a signatory")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(520)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.name = QLineEdit(current.name if current else "")
        self.name.setPlaceholderText("As printed under the signature")
        self.title_edit = QLineEdit(current.title if current else "")
        self.title_edit.setPlaceholderText("e.g. Chief Inspector")
        self.partner = QComboBox()
        self.partner.addItem("— none —", None)
        for pid, pname in partners:
            self.partner.addItem(pname, pid)
        if current and current.partner_id is not None:
            self.partner.setCurrentIndex(max(0, self.partner.findData(current.partner_id)))
        self.image_path = QLineEdit()
        self.image_path.setPlaceholderText("PNG or JPEG of the signature (optional)")
        browse = QPushButton("C&hoose image…")
        row = QHBoxLayout()
        row.addWidget(self.image_path, 1)
        row.addWidget(browse)
        form.addRow("&Name", self.name)
        form.addRow("&Title", self.title_edit)
        form.addRow("&Partner", self.partner)
        image_label = QLabel("&Signature image")
        image_label.setBuddy(self.image_path)
        form.addRow(image_label, row)
        lay.addLayout(form)
        self.preview = QLabel()
        self.preview.setMinimumHeight(60)
        lay.addWidget(self.preview)
        self.no_image = QCheckBox("No signature image: they sign each letter by hand")
        self.no_image.setVisible(bool(current and current.has_signature))
        lay.addWidget(self.no_image)
        self.hint = QLabel("Letters already issued keep the signature they were printed with.")
        set_role(self.hint, "muted")
        self.hint.setWordWrap(True)
        lay.addWidget(self.hint)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        lay.addWidget(self.buttons)
        browse.clicked.connect(self._browse)
        self.image_path.textChanged.connect(self._show_image)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

    def _browse(self) -> None:
        dialog = QFileDialog(self, "Choose the signature image", str(Path.home()), IMAGE_FILTER)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.image_path.setText)
        dialog.open()

    def _show_image(self, path: str) -> None:
        pixmap = QPixmap(path) if path else QPixmap()
        if pixmap.isNull():
            self.preview.clear()
        else:
            self.preview.setPixmap(pixmap.scaledToHeight(60, Qt.TransformationMode.SmoothTransformation))

    def save(self) -> None:
        name, title = self.name.text(), self.title_edit.text()
        partner_id, path = self.partner.currentData(), self.image_path.text().strip()
        clear = self.no_image.isChecked()
        current = self.current

        def work(s):
            data = _read_image(path)
            if current is None:
                return s.letters.add_signatory(name, title, partner_id, data)
            return s.letters.update_signatory(current.id, name, title, partner_id, data,
                                              clear_signature=clear and not data)
        self.buttons.setEnabled(False)
        self.ctx.call(work, self._saved, self._failed)

    def _saved(self, view: SignatoryView) -> None:
        self.saved.emit(view)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        if isinstance(exc, ValidationError):
            self.error.setText("; ".join(f"{k.capitalize()} {v}" for k, v in exc.errors.items()))
            set_role(self.error, "error")
        else:
            show_failure(self, exc)


class SignatoriesTab(QWidget):
    """Who signs the letters, and the letterhead's return address, phone and email."""

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.choices: SignatoryChoices | None = None
        self.dialog: SignatoryDialog | None = None
        lay = QVBoxLayout(self)

        box = QGroupBox("Who signs the letters")
        bl = QVBoxLayout(box)
        self.model: RowsModel[SignatoryView] = RowsModel([
            text_column("Name", "name"), text_column("Title", "title"),
            text_column("Partner", "partner_name"),
            Column("Signature", lambda s: "image" if s.has_signature else "signed by hand")])
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        bl.addWidget(self.view, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton("&Add signatory…")
        self.edit_button = QPushButton("&Edit signatory…")
        self.remove_button = QPushButton("Re&move signatory")
        for b in (self.add_button, self.edit_button, self.remove_button):
            row.addWidget(b)
        row.addStretch(1)
        bl.addLayout(row)
        hint = QLabel("Every signatory signs each letter unless you choose who signs on the "
                      "Print letters tab.")
        set_role(hint, "muted")
        hint.setWordWrap(True)
        bl.addWidget(hint)
        lay.addWidget(box, 1)

        head = QGroupBox("Letterhead: how a reader gets in touch")
        form = QFormLayout(head)
        self.address = QPlainTextEdit()
        self.address.setPlaceholderText("The partnership's return address, one line each")
        self.address.setFixedHeight(96)
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("e.g. 0000 000 0000")
        self.email = QLineEdit()
        self.email.setPlaceholderText("e.g. partnership@example.org")
        form.addRow("Return &address", self.address)
        form.addRow("P&hone", self.phone)
        form.addRow("E&mail", self.email)
        self.save_head = QPushButton("&Save letterhead")
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_head)
        save_row.addStretch(1)
        form.addRow("", save_row)
        lay.addWidget(head)

        self.message = QLabel("")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)

        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit_selected)
        self.view.doubleClicked.connect(lambda _i: self.edit_selected())
        self.remove_button.clicked.connect(self.remove_selected)
        self.save_head.clicked.connect(self.save_letterhead)

    # -- loading
    def reload(self) -> None:
        self.ctx.call(load_signatory_choices, self._loaded, lambda e: show_failure(self, e))

    def clear(self) -> None:
        self.choices = None
        self.model.clear()
        for w in (self.address, self.phone, self.email):
            w.clear()
        self.message.setText("")

    def _loaded(self, choices: SignatoryChoices) -> None:
        self.choices = choices
        self.model.set_rows(choices.signatories)
        head = choices.letterhead
        self.address.setPlainText("\n".join(head.address))
        self.phone.setText(head.phone)
        self.email.setText(head.email)

    def selected(self) -> SignatoryView | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.row_object(rows[0].row()) if rows else None

    # -- signatories
    def add(self) -> None:
        self._open(None)

    def edit_selected(self) -> None:
        current = self.selected()
        if current is None:
            self._say("Choose a signatory in the list first.", "warning")
            return
        self._open(current)

    def _open(self, current: SignatoryView | None) -> None:
        if self.choices is None:
            return
        self.dialog = SignatoryDialog(self.ctx, self.choices.partners, current, self)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.saved.connect(self._signatory_saved)
        self.dialog.open()

    def _signatory_saved(self, view: SignatoryView) -> None:
        self._say(f"Saved: {signatory_label(view)} signs the letters.", "hint")
        self._changed()

    def remove_selected(self) -> None:
        current = self.selected()
        if current is None:
            self._say("Choose a signatory in the list first.", "warning")
            return
        self.ctx.call(lambda s: s.letters.remove_signatory(current.id),
                      lambda _r: (self._say(f"{current.name} no longer signs letters. Letters already "
                                            "issued keep their signature.", "hint"), self._changed()),
                      self._failed)

    # -- letterhead
    def save_letterhead(self) -> None:
        address, phone, email = self.address.toPlainText(), self.phone.text(), self.email.text()
        self.ctx.call(lambda s: s.letters.set_letterhead(address, phone, email),
                      lambda _r: (self._say("Letterhead saved: letters printed from now on give "
                                            "these contact details.", "hint"), self._changed()),
                      self._failed)

    def _changed(self) -> None:
        self.ctx.data_changed.emit("signatory")       # the Letters page reloads, this tab with it

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self._say("; ".join(f"{k.capitalize()} {v}" for k, v in exc.errors.items()), "error")
        elif isinstance(exc, DeterrenceError):
            self._say(str(exc), "warning")
        else:
            show_failure(self, exc)

    def _say(self, text: str, role: str) -> None:
        self.message.setText(text)
        set_role(self.message, role)
