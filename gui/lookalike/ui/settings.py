"""The app's preferences and window state, in QSettings (never the cloud secret: see credentials).

One small typed facade, so the rest of the UI never spells a QSettings key or converts a value.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QSettings

from lookalike.client.api import DEFAULT_BASE_URL

LOCAL = "local"
CLOUD = "cloud"


@dataclass(frozen=True, slots=True)
class BackendChoice:
    """Which backend to use; the secret comes from the keyring, not from here."""

    kind: str = LOCAL
    base_url: str = DEFAULT_BASE_URL
    client_id: str = ""
    context_id: str = ""  # the search context of this backend ("" = create one)


class AppSettings:
    def __init__(self, settings: QSettings) -> None:
        self._settings = settings

    @property
    def qsettings(self) -> QSettings:
        return self._settings

    def sync(self) -> None:
        self._settings.sync()

    # Backend
    def backend(self) -> BackendChoice:
        kind = str(self._settings.value("backend/kind", LOCAL))
        return BackendChoice(
            kind=kind if kind in (LOCAL, CLOUD) else LOCAL,
            base_url=str(self._settings.value("backend/base_url", DEFAULT_BASE_URL)),
            client_id=str(self._settings.value("backend/client_id", "")),
            context_id=self.context_id(kind),
        )

    def set_backend(self, choice: BackendChoice) -> None:
        self._settings.setValue("backend/kind", choice.kind)
        self._settings.setValue("backend/base_url", choice.base_url)
        self._settings.setValue("backend/client_id", choice.client_id)
        self.set_context_id(choice.kind, choice.context_id)

    def context_id(self, kind: str) -> str:
        return str(self._settings.value(f"backend/{kind}_context_id", ""))

    def set_context_id(self, kind: str, context_id: str) -> None:
        self._settings.setValue(f"backend/{kind}_context_id", context_id)

    # Search and view
    def _int(self, key: str, default: int, low: int, high: int) -> int:
        try:
            value = int(self._settings.value(key, default))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return default
        return min(high, max(low, value))

    def threshold(self) -> int:
        return self._int("search/threshold", 50, 0, 100)

    def set_threshold(self, value: int) -> None:
        self._settings.setValue("search/threshold", value)

    def max_count(self) -> int:
        return self._int("search/max_count", 200, 1, 100_000)

    def set_max_count(self, value: int) -> None:
        self._settings.setValue("search/max_count", value)

    def thumb_size(self) -> int:
        return self._int("view/thumb_size", 160, 64, 384)

    def set_thumb_size(self, value: int) -> None:
        self._settings.setValue("view/thumb_size", value)

    # Window state
    def window_bytes(self, key: str) -> QByteArray | None:
        value = self._settings.value(f"window/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_bytes(self, key: str, value: QByteArray) -> None:
        self._settings.setValue(f"window/{key}", value)
