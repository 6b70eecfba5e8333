"""Render resources/icons/ganviz.svg to the PNG beside it (256 x 256, transparent corners).

    QT_QPA_PLATFORM=offscreen python scripts/render_icon.py

The SVG is the source; run this after editing it. Qt draws the PNG, so no other tool is needed.
"""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6 import QtCore, QtGui, QtSvg

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SIZE = 256


def main() -> int:
    app = QtGui.QGuiApplication.instance() or QtGui.QGuiApplication(sys.argv[:1])  # noqa: F841
    renderer = QtSvg.QSvgRenderer(str(ICONS / "ganviz.svg"))
    if not renderer.isValid():
        print(f"cannot read {ICONS / 'ganviz.svg'}", file=sys.stderr)
        return 1
    img = QtGui.QImage(SIZE, SIZE, QtGui.QImage.Format_ARGB32)
    img.fill(QtCore.Qt.transparent)
    painter = QtGui.QPainter(img)
    painter.setRenderHint(QtGui.QPainter.Antialiasing)
    renderer.render(painter)
    painter.end()
    out = ICONS / "ganviz.png"
    if not img.save(str(out)):
        print(f"cannot write {out}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
