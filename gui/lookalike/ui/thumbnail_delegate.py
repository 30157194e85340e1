"""Paints one grid cell: the thumbnail (or a placeholder, or a failure mark), name and score.

Painting runs for every visible cell on every scroll step, so it is kept cheap: one model call
per cell (the CELL role), and the placeholder and failure marks are drawn once per size and
colour scheme into a pixmap that later cells only blit.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from lookalike.ui.icons import icon
from lookalike.ui.thumbnail_model import Role, ThumbState

PADDING = 6
FAILED_TEXT = "Can't read"
BADGE_SHARE = 0.4  # the score badge takes at most this share of the picture's width
MIN_BADGE_POINTS = 6.0
CHECKER_SQUARE = 6  # the side of one square behind transparent pictures
WIDEST_SCORE = "100%"

ModelIndex = QModelIndex | QPersistentModelIndex


_CHECKERBOARD: list[QBrush] = []


def checkerboard() -> QBrush:
    """A light and mid grey checkerboard brush, made once (needs a QGuiApplication)."""
    if not _CHECKERBOARD:
        tile = QPixmap(CHECKER_SQUARE * 2, CHECKER_SQUARE * 2)
        tile.fill(QColor("#e4e4e4"))
        painter = QPainter(tile)
        for x, y in ((0, 0), (CHECKER_SQUARE, CHECKER_SQUARE)):
            painter.fillRect(x, y, CHECKER_SQUARE, CHECKER_SQUARE, QColor("#b8b8b8"))
        painter.end()
        _CHECKERBOARD.append(QBrush(tile))
    return _CHECKERBOARD[0]


def score_text(score: float) -> str:
    return f"{score:.0f}%"


def badge_geometry(base: QFont, area: QRect, text: str) -> tuple[QFont, QRectF]:
    """The score badge's font and place in ``area`` (the picture): top right, and small enough
    that a small thumbnail shows its picture rather than its score."""
    font = QFont(base)
    font.setBold(True)
    # Sized for the widest score, so every badge in a row has the same size.
    widest = QFontMetrics(font).horizontalAdvance(WIDEST_SCORE) + 10
    limit = area.width() * BADGE_SHARE
    shrunk = widest > limit and font.pointSizeF() > 0
    if shrunk:
        font.setPointSizeF(max(MIN_BADGE_POINTS, font.pointSizeF() * limit / widest))
    metrics = QFontMetrics(font)
    width = metrics.horizontalAdvance(text) + (6 if shrunk else 10)
    height = metrics.height() + 4
    margin = 4 if area.width() >= 128 else 2
    return font, QRectF(area.right() - width - margin, area.top() + margin, width, height)


class ThumbnailDelegate(QStyledItemDelegate):
    def __init__(self, thumb_size: int = 160, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumb_size = thumb_size
        self._marks: dict[tuple[str, int, float, int], QPixmap] = {}

    def cell_size(self, font: QFont) -> QSize:
        text_height = QFontMetrics(font).height()
        return QSize(self.thumb_size + 2 * PADDING, self.thumb_size + text_height + 3 * PADDING)

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return self.cell_size(option.font)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        cell_data = index.data(Role.CELL)
        if cell_data is None:
            return
        pixmap, thumb_state, score, name = cell_data
        cell: QRect = option.rect.adjusted(2, 2, -2, -2)
        palette: QPalette = option.palette
        state = option.state
        painter.save()
        if state & (QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_MouseOver):
            tint = QColor(palette.color(QPalette.ColorRole.Highlight))
            tint.setAlpha(110 if state & QStyle.StateFlag.State_Selected else 40)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(tint)
            painter.drawRoundedRect(QRectF(cell), 6, 6)

        side = self.thumb_size
        left = cell.left() + (cell.width() - side) // 2
        thumb_area = QRect(left, cell.top() + PADDING, side, side)
        badge_area = thumb_area
        if pixmap is not None:
            badge_area = self._paint_pixmap(painter, thumb_area, pixmap)
        else:
            failed = thumb_state == ThumbState.FAILED
            mark = self._mark("failed" if failed else "placeholder", palette,
                              painter.device().devicePixelRatioF())
            painter.drawPixmap(thumb_area.topLeft(), mark)

        if score is not None:
            self._paint_badge(painter, badge_area, score_text(float(score)))

        name_rect = QRect(cell.left() + PADDING, thumb_area.bottom() + PADDING,
                          cell.width() - 2 * PADDING, cell.bottom() - thumb_area.bottom() - PADDING)
        metrics = option.fontMetrics
        elided = metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, name_rect.width())
        # Text, not HighlightedText: the selection is a translucent tint, not a solid fill.
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                         elided)
        painter.restore()

    @staticmethod
    def _paint_pixmap(painter: QPainter, area: QRect, pixmap: QPixmap) -> QRect:
        """Draws the picture at the bottom of ``area`` (next to its name); returns where."""
        logical = pixmap.deviceIndependentSize().toSize()
        target_size = logical
        if logical.width() > area.width() or logical.height() > area.height():
            target_size = logical.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        target = QRect(0, 0, target_size.width(), target_size.height())
        target.moveCenter(area.center())
        target.moveBottom(area.bottom())
        if pixmap.hasAlphaChannel():
            # A transparent picture (a wallpaper meant for any desktop colour, a logo) would melt
            # into the grid's background: show its transparency as image editors do.
            painter.fillRect(target, checkerboard())
        painter.drawPixmap(target, pixmap)
        return target

    def _mark(self, name: str, palette: QPalette, ratio: float) -> QPixmap:
        """The placeholder or failure mark for this size and palette, drawn once."""
        key = (name, self.thumb_size, ratio, palette.color(QPalette.ColorRole.Mid).rgba())
        cached = self._marks.get(key)
        if cached is not None:
            return cached
        side = self.thumb_size
        pixmap = QPixmap(QSize(side, side) * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRect(0, 0, side, side)
        background = QColor(palette.color(QPalette.ColorRole.Mid))
        background.setAlpha(50)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(background)
        painter.drawRoundedRect(QRectF(area.adjusted(4, 4, -4, -4)), 6, 6)
        mark_side = max(16, side // 3)
        mark = QRect(0, 0, mark_side, mark_side)
        mark.moveCenter(area.center())
        icon(name).paint(painter, mark)
        if name == "failed":
            painter.setPen(QColor("#d64545"))
            below = QRect(0, mark.bottom() + 4, side, side - mark.bottom())
            painter.drawText(below, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                             FAILED_TEXT)
        painter.end()
        if len(self._marks) > 32:  # sizes and schemes seen: a handful
            self._marks.clear()
        self._marks[key] = pixmap
        return pixmap

    @staticmethod
    def _paint_badge(painter: QPainter, area: QRect, text: str) -> None:
        painter.save()
        font, badge = badge_geometry(painter.font(), area, text)
        painter.setFont(font)
        height = badge.height()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(20, 20, 20, 190))
        painter.drawRoundedRect(badge, height / 2, height / 2)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()
