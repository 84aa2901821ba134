"""The calm look: the Fusion style with a soft palette, legible sizes, and the app icon.

The icon is drawn with QPainter (a shield over three linked circles: partners
working together), so it is sharp at every size and on high-DPI screens;
``resources/icons`` holds the same drawing rendered to PNG and ICO files for
the packager (``python -m deterrence_desktop.ui.style`` re-renders them).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush, QColor, QFont, QIcon, QImage, QLinearGradient, QPainter, QPainterPath, QPalette,
    QPen, QPixmap,
)
from PySide6.QtWidgets import QApplication

from .. import paths

ACCENT = QColor("#2f6f73")        # calm teal
ACCENT_DARK = QColor("#1f4f55")
WINDOW = QColor("#f4f6f7")
BASE = QColor("#ffffff")
ALT_BASE = QColor("#f0f4f5")
TEXT = QColor("#1f2a30")
MUTED = QColor("#5b6b73")
DISABLED = QColor("#a3adb2")
WARNING = QColor("#8a5a00")
ERROR = QColor("#a12a2a")
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)

STYLESHEET = f"""
QListWidget#navigation {{
    background: #e8eef0; border: none; padding: 6px 0; font-size: 10.5pt;
}}
QListWidget#navigation::item {{ padding: 7px 14px; border-radius: 4px; margin: 1px 6px; }}
QListWidget#navigation::item:selected {{ background: {ACCENT.name()}; color: white; }}
QListWidget#recentWorkspaces::item {{ padding: 6px 4px; }}
QLabel[role="heading"] {{ font-size: 15pt; font-weight: 600; color: {TEXT.name()}; }}
QLabel[role="subheading"] {{ font-size: 11pt; font-weight: 600; color: {ACCENT_DARK.name()};
    padding-top: 6px; }}
QLabel[role="muted"] {{ color: {MUTED.name()}; }}
QLabel[role="error"] {{ color: {ERROR.name()}; }}
QLabel[role="warning"] {{ color: {WARNING.name()}; background: #fff4dc; border: 1px solid #e9c87a;
    border-radius: 4px; padding: 6px; }}
QLabel[role="hint"] {{ color: {ACCENT_DARK.name()}; background: #e3f0f0; border-radius: 4px;
    padding: 6px; }}
QLabel[role="empty"] {{ color: {MUTED.name()}; font-size: 11pt; }}
QFrame[role="card"] {{ background: white; border: 1px solid #d5dee1; border-radius: 6px; }}
QLineEdit[invalid="true"], QPlainTextEdit[invalid="true"], QComboBox[invalid="true"] {{
    border: 1px solid {ERROR.name()}; }}
QPushButton[default="true"] {{ font-weight: 600; }}
QTableView {{ gridline-color: #e1e7ea; selection-background-color: {ACCENT.name()}; }}
QHeaderView::section {{ background: #e8eef0; border: none; border-right: 1px solid #d5dee1;
    padding: 4px 6px; font-weight: 600; }}
"""


def draw_icon(size: int) -> QImage:
    """The app icon at ``size`` pixels square."""
    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)
    grad = QLinearGradient(0, 0, 0, s)
    grad.setColorAt(0, QColor("#3c8589"))
    grad.setColorAt(1, ACCENT_DARK)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(grad))
    p.drawRoundedRect(QRectF(s * 0.04, s * 0.04, s * 0.92, s * 0.92), s * 0.2, s * 0.2)
    # shield
    shield = QPainterPath()
    shield.moveTo(s * 0.5, s * 0.16)
    shield.lineTo(s * 0.78, s * 0.26)
    shield.cubicTo(s * 0.78, s * 0.56, s * 0.68, s * 0.74, s * 0.5, s * 0.85)
    shield.cubicTo(s * 0.32, s * 0.74, s * 0.22, s * 0.56, s * 0.22, s * 0.26)
    shield.closeSubpath()
    p.setBrush(QColor("#f4f6f7"))
    p.drawPath(shield)
    # three linked circles: the partners
    pen = QPen(ACCENT, max(1.0, s * 0.045))
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    r = s * 0.095
    for cx, cy in ((0.5, 0.38), (0.4, 0.55), (0.6, 0.55)):
        p.drawEllipse(QPointF(s * cx, s * cy), r, r)
    p.end()
    return img


def app_icon() -> QIcon:
    """The icon, drawn at each size (the same drawing as the files in ``resources/icons``)."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addPixmap(QPixmap.fromImage(draw_icon(size)))
    return icon


def write_icon_files(folder: Path | None = None) -> list[Path]:
    """Render the icon into PNG files (every size) and one multi-size ICO for Windows."""
    folder = folder or paths.app_icon_file().parent
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for size in ICON_SIZES:
        path = folder / f"deterrence-desktop-{size}.png"
        draw_icon(size).save(str(path))
        written.append(path)
    main = folder / "deterrence-desktop.png"
    draw_icon(256).save(str(main))
    written.append(main)
    # Windows reads PNG images inside an ICO container (Vista and later): small and sharp.
    written.append(_write_ico(folder / "deterrence-desktop.ico", [16, 24, 32, 48, 64, 128, 256]))
    return written


def _write_ico(path: Path, sizes: list[int]) -> Path:
    import struct
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    blobs = []
    for size in sizes:
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        draw_icon(size).save(buf, "PNG")
        blobs.append((size, bytes(data)))
    header = struct.pack("<HHH", 0, 1, len(blobs))
    offset = 6 + 16 * len(blobs)
    entries, payload = b"", b""
    for size, blob in blobs:
        dim = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset + len(payload))
        payload += blob
    path.write_bytes(header + entries + payload)
    return path


def apply_style(app: QApplication) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    pal.setColor(QPalette.ColorRole.Window, WINDOW)
    pal.setColor(QPalette.ColorRole.WindowText, TEXT)
    pal.setColor(QPalette.ColorRole.Base, BASE)
    pal.setColor(QPalette.ColorRole.AlternateBase, ALT_BASE)
    pal.setColor(QPalette.ColorRole.Text, TEXT)
    pal.setColor(QPalette.ColorRole.Button, QColor("#e9eef0"))
    pal.setColor(QPalette.ColorRole.ButtonText, TEXT)
    pal.setColor(QPalette.ColorRole.Highlight, ACCENT)
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor("white"))
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor("#fffef5"))
    pal.setColor(QPalette.ColorRole.ToolTipText, TEXT)
    pal.setColor(QPalette.ColorRole.PlaceholderText, MUTED)
    pal.setColor(QPalette.ColorRole.Link, ACCENT_DARK)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):    # greyed out: disabled must look disabled
        pal.setColor(QPalette.ColorGroup.Disabled, role, DISABLED)
    app.setPalette(pal)
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)
    app.setStyleSheet(STYLESHEET)
    app.setWindowIcon(app_icon())


def set_role(widget, role: str) -> None:
    """Give a label or frame one of the stylesheet's roles (heading, muted, error...)."""
    widget.setProperty("role", role)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    import sys
    _app = QApplication.instance() or QApplication(sys.argv)
    for written in write_icon_files():
        print(written)
