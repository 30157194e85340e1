"""Fixtures for the window tests: offscreen Qt, Qt warnings as failures, a fake backend.

Qt needs a platform before the first QApplication: without a display it would abort the process,
so these tests default to ``offscreen``.
"""

from __future__ import annotations

import logging
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import (
    QMessageLogContext,
    QSettings,
    QtMsgType,
    qInstallMessageHandler,
)

from lookalike.ui.main_window import AppPaths, MainWindow
from lookalike.ui.settings import AppSettings, BackendChoice
from tests.ui.fakes import FakeBackend, FakeClient

# Qt messages that say nothing about our code; each with the reason it is harmless.
IGNORED_QT_MESSAGES = (
    # The offscreen platform has no window manager to honour these; a real desktop does.
    "This plugin does not support propagateSizeHints()",
    "This plugin does not support raise()",
    "This plugin does not support grabbing the keyboard",
)


class QtMessages:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def handler(self, kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if kind == QtMsgType.QtDebugMsg or kind == QtMsgType.QtInfoMsg:
            return
        if any(ignored in message for ignored in IGNORED_QT_MESSAGES):
            return
        self.warnings.append(f"{kind.name}: {message}")


@pytest.fixture(autouse=True)
def fail_on_qt_warnings(qapp: Any) -> Iterator[QtMessages]:
    """Any Qt warning during a test fails it (after the test, with the messages)."""
    messages = QtMessages()
    previous = qInstallMessageHandler(messages.handler)
    yield messages
    qInstallMessageHandler(previous)
    if messages.warnings:
        pytest.fail("Qt warned:\n" + "\n".join(messages.warnings), pytrace=False)


@pytest.fixture(autouse=True)
def fail_on_error_logs(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
                       ) -> Iterator[None]:
    """An error logged by the app fails the test, unless it is marked ``allow_error_logs``."""
    yield
    if request.node.get_closest_marker("allow_error_logs"):
        return
    records = caplog.get_records("setup") + caplog.get_records("call")
    errors = [r for r in records if r.levelno >= logging.ERROR and r.name.startswith("lookalike")]
    if errors:
        pytest.fail("The app logged errors:\n" + "\n".join(r.getMessage() for r in errors),
                    pytrace=False)


class AnsweringPrompts:
    """Stands in for the window's dialogs: answers from queues, records every question."""

    def __init__(self) -> None:
        self.texts: list[str | None] = []
        self.folders: list[str | None] = []
        self.confirmations: list[bool] = []
        self.errors: list[tuple[str, str]] = []
        self.asked: list[str] = []
        self.questions: list[tuple[str, str]] = []  # (title, text) of each confirmation

    def ask_text(self, title: str, label: str, text: str = "") -> str | None:
        self.asked.append(title)
        return self.texts.pop(0) if self.texts else None

    def ask_folder(self, title: str) -> str | None:
        self.asked.append(title)
        return self.folders.pop(0) if self.folders else None

    def confirm(self, title: str, text: str) -> bool:
        self.asked.append(title)
        self.questions.append((title, text))
        return self.confirmations.pop(0) if self.confirmations else False

    def error(self, title: str, text: str) -> None:
        self.errors.append((title, text))


@dataclass
class Harness:
    window: MainWindow
    client: FakeClient
    backend: FakeBackend
    prompts: AnsweringPrompts
    paths: AppPaths
    settings: AppSettings


@pytest.fixture
def app_paths(tmp_path: Path) -> AppPaths:
    return AppPaths(tmp_path / "data", tmp_path / "cache", tmp_path / "log", tmp_path / "config")


@pytest.fixture
def app_settings(tmp_path: Path) -> AppSettings:
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def make_harness(
    qtbot: Any, app_paths: AppPaths, app_settings: AppSettings
) -> Iterator[Callable[..., Harness]]:
    """Builds a started window on a FakeBackend; shuts it down after the test."""
    windows: list[MainWindow] = []

    def make(*, step: int = 1000, can_cancel: bool = True, kind: str = "local",
             health_interval_ms: int = 60_000) -> Harness:
        app_settings.set_backend(BackendChoice(kind=kind))
        client = FakeClient(Path(Path.home().anchor), step=step, can_cancel=can_cancel)
        backend = FakeBackend(client, kind)
        prompts = AnsweringPrompts()

        def factory(choice: BackendChoice, secret: str) -> Callable[[], FakeBackend]:
            return lambda: backend

        window = MainWindow(app_settings, app_paths, factory, prompts=prompts,  # type: ignore[arg-type]
                            health_interval_ms=health_interval_ms)
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        with qtbot.waitSignal(window.ready, timeout=5000):
            window.start()
        return Harness(window, client, backend, prompts, app_paths, app_settings)

    yield make
    for window in windows:
        window.shutdown()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_error_logs: the test expects the app to log errors")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """pytest-qt's own capture would replace our handler during each phase: switch it off here."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.no_qt_log)
