"""Paints one grid cell: the thumbnail (or a placeholder, or a failure mark), the name, the score."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from lookalike.ui.icons import icon
from lookalike.ui.thumbnail_model import Role, ThumbState

PADDING = 6

ModelIndex = QModelIndex | QPersistentModelIndex


def score_text(score: float) -> str:
    return f"{score:.0f}%"


class ThumbnailDelegate(QStyledItemDelegate):
    def __init__(self, thumb_size: int = 160, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumb_size = thumb_size

    def cell_size(self, font: QFont) -> QSize:
        text_height = QFontMetrics(font).height()
        return QSize(self.thumb_size + 2 * PADDING, self.thumb_size + text_height + 3 * PADDING)

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return self.cell_size(option.font)  # type: ignore[attr-defined]

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        cell: QRect = option.rect.adjusted(2, 2, -2, -2)  # type: ignore[attr-defined]
        palette: QPalette = option.palette  # type: ignore[attr-defined]
        state = option.state  # type: ignore[attr-defined]
        if state & QStyle.StateFlag.State_Selected:
            highlight = QColor(palette.color(QPalette.ColorRole.Highlight))
            highlight.setAlpha(110)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(highlight)
            painter.drawRoundedRect(QRectF(cell), 6, 6)
        elif state & QStyle.StateFlag.State_MouseOver:
            hover = QColor(palette.color(QPalette.ColorRole.Highlight))
            hover.setAlpha(40)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(hover)
            painter.drawRoundedRect(QRectF(cell), 6, 6)

        side = self.thumb_size
        thumb_area = QRect(cell.left() + (cell.width() - side) // 2, cell.top() + PADDING, side, side)
        thumb_state = index.data(Role.STATE)
        pixmap = index.data(Role.THUMBNAIL)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            self._paint_pixmap(painter, thumb_area, pixmap)
        elif thumb_state == ThumbState.FAILED:
            self._paint_mark(painter, thumb_area, palette, "failed", "Can't read")
        else:
            self._paint_mark(painter, thumb_area, palette, "placeholder", None)

        score = index.data(Role.SCORE)
        if isinstance(score, float | int):
            self._paint_badge(painter, thumb_area, score_text(float(score)))

        name_rect = QRect(cell.left() + PADDING, thumb_area.bottom() + PADDING,
                          cell.width() - 2 * PADDING, cell.bottom() - thumb_area.bottom() - PADDING)
        metrics = QFontMetrics(option.font)  # type: ignore[attr-defined]
        name = metrics.elidedText(str(index.data() or ""), Qt.TextElideMode.ElideMiddle,
                                  name_rect.width())
        role = (QPalette.ColorRole.HighlightedText if state & QStyle.StateFlag.State_Selected
                else QPalette.ColorRole.Text)
        painter.setPen(palette.color(role))
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, name)
        painter.restore()

    @staticmethod
    def _paint_pixmap(painter: QPainter, area: QRect, pixmap: QPixmap) -> None:
        logical = pixmap.deviceIndependentSize().toSize()
        target_size = logical.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
        if logical.width() <= area.width() and logical.height() <= area.height():
            target_size = logical
        target = QRect(0, 0, target_size.width(), target_size.height())
        target.moveCenter(area.center())
        painter.drawPixmap(target, pixmap)

    @staticmethod
    def _paint_mark(
        painter: QPainter, area: QRect, palette: QPalette, name: str, text: str | None
    ) -> None:
        background = QColor(palette.color(QPalette.ColorRole.Mid))
        background.setAlpha(50)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(background)
        painter.drawRoundedRect(QRectF(area.adjusted(4, 4, -4, -4)), 6, 6)
        side = max(16, area.width() // 3)
        mark = QRect(0, 0, side, side)
        mark.moveCenter(area.center())
        icon(name).paint(painter, mark)
        if text:
            painter.setPen(QColor("#d64545"))
            below = QRect(area.left(), mark.bottom() + 4, area.width(), area.bottom() - mark.bottom())
            painter.drawText(below, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)

    @staticmethod
    def _paint_badge(painter: QPainter, area: QRect, text: str) -> None:
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        width = metrics.horizontalAdvance(text) + 10
        height = metrics.height() + 4
        badge = QRectF(area.right() - width - 4, area.top() + 4, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(20, 20, 20, 190))
        painter.drawRoundedRect(badge, height / 2, height / 2)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        font.setBold(False)
        painter.setFont(font)
