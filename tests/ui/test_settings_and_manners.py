"""Settings and credentials, window state, shortcuts, dark mode, errors, service restarts."""

from __future__ import annotations

import logging
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from lookalike.client import ApiError
from lookalike.ui.app import ErrorReporter, follow_color_scheme
from lookalike.ui.credentials import SERVICE, CredentialStore
from lookalike.ui.main_window import MainWindow
from lookalike.ui.settings import CLOUD, LOCAL, AppSettings, BackendChoice
from lookalike.ui.settings_dialog import SettingsDialog
from tests.ui.conftest import Harness
from tests.ui.fakes import FakeClient
from tests.ui.helpers import make_photos


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in a dict: the test backend."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def fill_cloud(dialog: SettingsDialog, client_id: str, secret: str) -> None:
    dialog.cloud_radio.setChecked(True)
    dialog.client_id_edit.setText(client_id)
    dialog.secret_edit.setText(secret)


def test_settings_store_the_cloud_secret_in_the_keyring_not_in_qsettings(
    make_harness: Any, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    h = make_harness()
    dialog = SettingsDialog(h.settings.backend(), h.window.credentials, {}, parent=h.window)
    assert dialog.local_radio.isChecked() and not dialog.cloud_box.isEnabled()
    fill_cloud(dialog, "my-client", "top-secret-value")
    assert dialog.cloud_box.isEnabled()
    assert not dialog.to_file_check.isVisibleTo(dialog)  # a keyring is there

    h.window.apply_settings(dialog.result_settings())

    assert memory_keyring.passwords == {(SERVICE, "my-client"): "top-secret-value"}
    choice = h.settings.backend()
    assert (choice.kind, choice.client_id) == (CLOUD, "my-client")
    h.settings.sync()
    assert "top-secret-value" not in (tmp_path / "settings.ini").read_text()
    reopened = SettingsDialog(h.settings.backend(), h.window.credentials, {})
    assert reopened.cloud_radio.isChecked()
    assert reopened.secret_edit.text() == "top-secret-value"


def test_without_a_keyring_the_secret_is_kept_for_this_run_only(
    no_keyring: None, tmp_path: Path, qtbot: Any
) -> None:
    store = CredentialStore(tmp_path / "credentials.json")
    dialog = SettingsDialog(BackendChoice(), store, {})
    qtbot.addWidget(dialog)
    assert dialog.to_file_check.isVisibleTo(dialog)
    assert "No system keyring" in dialog.keyring_label.text()

    assert store.save("id-1", "secret-1") == "memory"
    assert store.load("id-1") == "secret-1"
    assert not (tmp_path / "credentials.json").exists()
    assert CredentialStore(tmp_path / "credentials.json").load("id-1") is None


@pytest.mark.skipif(sys.platform == "win32", reason="posix file modes")
def test_without_a_keyring_the_user_may_choose_a_private_file(
    no_keyring: None, tmp_path: Path
) -> None:
    store = CredentialStore(tmp_path / "credentials.json")

    assert store.save("id-2", "secret-2", to_file=True) == "file"

    mode = stat.S_IMODE((tmp_path / "credentials.json").stat().st_mode)
    assert mode == 0o600
    assert CredentialStore(tmp_path / "credentials.json").load("id-2") == "secret-2"
    store.forget("id-2")
    assert CredentialStore(tmp_path / "credentials.json").load("id-2") is None


def test_test_connection_reports_success_and_failure(
    memory_keyring: MemoryKeyring, tmp_path: Path, qtbot: Any
) -> None:
    made: list[tuple[str, str, str]] = []

    def working(url: str, client_id: str, secret: str) -> FakeClient:
        made.append((url, client_id, secret))
        return FakeClient(tmp_path)

    dialog = SettingsDialog(BackendChoice(), CredentialStore(tmp_path / "c.json"), {},
                            client_factory=working)
    qtbot.addWidget(dialog)
    fill_cloud(dialog, "cid", "csecret")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.test_result.text().startswith("Connected"), timeout=5000)
    assert made == [(dialog.url_edit.text(), "cid", "csecret")]

    class Refusing(FakeClient):
        def object_exists(self, path: str) -> bool:
            raise ApiError(401, "invalid_client", "The client credentials are wrong")

    dialog._client_factory = lambda *_args: Refusing(tmp_path)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.test_result.text().startswith("Failed"), timeout=5000)
    assert "client credentials are wrong" in dialog.test_result.text()
    dialog.close()


def test_the_search_context_in_use_is_shown_per_backend(qtbot: Any, tmp_path: Path) -> None:
    dialog = SettingsDialog(BackendChoice(kind=LOCAL), CredentialStore(tmp_path / "c.json"),
                            {LOCAL: "ctx-local", CLOUD: "ctx-cloud"})
    qtbot.addWidget(dialog)
    assert dialog.context_edit.text() == "ctx-local"
    dialog.cloud_radio.setChecked(True)
    assert dialog.context_edit.text() == "ctx-cloud"


def test_geometry_and_splitter_sizes_are_remembered(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    h = make_harness()
    h.window.resize(760, 540)  # inside the offscreen screen (800 x 600): restore may clamp
    h.window.splitter.setSizes([260, 500])
    sizes = h.window.splitter.sizes()
    h.window.zoom.setValue(224)
    h.window.search_bar.set_threshold(72)
    h.window.close()

    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))

    second = MainWindow(settings, h.paths, lambda *_: (lambda: h.backend), prompts=h.prompts)  # type: ignore[arg-type,return-value]
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    assert (second.width(), second.height()) == (760, 540)
    assert second.splitter.sizes() == sizes
    assert second.grid.thumb_size() == 224
    assert second.search_bar.query().threshold == 72
    second.shutdown()


def test_shortcuts_come_from_the_platforms_standard_keys(make_harness: Any) -> None:
    h = make_harness()
    by_text = {a.text().replace("&", ""): a for menu in h.window.menuBar().findChildren(
        type(h.window.menuBar().actions()[0].menu())) for a in menu.actions()}
    expected = {
        "Add folder…": QKeySequence.StandardKey.Open,
        "Find…": QKeySequence.StandardKey.Find,
        "Quit": QKeySequence.StandardKey.Quit,
        "Zoom in": QKeySequence.StandardKey.ZoomIn,
        "Rescan library": QKeySequence.StandardKey.Refresh,
    }
    for text, key in expected.items():
        assert by_text[text].shortcuts() == QKeySequence.keyBindings(key), text


def test_dark_mode_palette(qapp: QApplication) -> None:
    saved = qapp.palette()
    try:
        follow_color_scheme(qapp, force="dark")
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 80
        follow_color_scheme(qapp, force="light")
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 180
    finally:
        qapp.setPalette(saved)
    assert QGuiApplication.styleHints() is not None


@pytest.mark.allow_error_logs
def test_an_unexpected_error_is_logged_shown_briefly_and_the_app_goes_on(
    make_harness: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    h = make_harness()
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical",
                        lambda _parent, _title, text: shown.append(text))
    reporter = ErrorReporter(tmp_path / "lookalike.log")

    def broken() -> None:
        raise RuntimeError("the flux capacitor is empty")

    try:
        broken()
    except RuntimeError as error:
        with caplog.at_level(logging.ERROR):
            reporter.handle(type(error), error, error.__traceback__)

    assert len(shown) == 1
    assert "RuntimeError: the flux capacitor is empty" in shown[0]
    assert str(tmp_path / "lookalike.log") in shown[0]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Traceback" in logged and "in broken" in logged
    assert h.window.isVisible()  # still running


def test_the_service_is_restarted_when_it_dies_and_the_request_is_not_lost(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "photos", ["a.jpg"])
    h: Harness = make_harness()
    with qtbot.waitSignal(h.window.indexing.finished, timeout=10_000):
        h.window.add_folder(str(folder))
    h.backend.alive = False
    h.client.down = True  # the process is gone: every call is refused

    h.window.tag_store.create("anything")  # a tag, so the search reaches the service
    h.window.search_bar.tags_edit.setText("anything")
    h.window.search_bar.search_button.click()

    qtbot.waitUntil(lambda: h.backend.restarts == 1, timeout=5000)
    qtbot.waitUntil(lambda: h.window.message.text().startswith("0 images for anything"),
                    timeout=5000)


def test_the_health_timer_restarts_a_dead_service_between_requests(
    make_harness: Any, qtbot: Any
) -> None:
    h: Harness = make_harness(health_interval_ms=50)
    h.backend.alive = False

    qtbot.waitUntil(lambda: h.window.message.text() == "The search service was restarted",
                    timeout=5000)
    assert h.backend.restarts == 1


def test_double_click_opens_a_preview(make_harness: Any, qtbot: Any, tmp_path: Path) -> None:
    folder = make_photos(tmp_path / "photos", ["a.jpg"], size=(800, 600))
    h = make_harness()
    h.window.add_folder(str(folder))
    qtbot.waitUntil(lambda: h.window.model.rowCount() == 1)
    opened: list[str] = []
    h.window.grid.preview_requested.connect(opened.append)
    grid = h.window.grid
    rect = grid.visualRect(h.window.model.index(0))

    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    assert opened == [str(folder / "a.jpg")]
    dialog = h.window.preview(opened[0])
    qtbot.waitUntil(lambda: not dialog.image_label.pixmap().isNull(), timeout=5000)
    assert dialog.windowTitle() == "a.jpg"
    dialog.close()


def test_copy_path_puts_the_selected_paths_on_the_clipboard(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    folder = make_photos(tmp_path / "photos", ["a.jpg", "b.jpg"])
    h = make_harness()
    h.window.add_folder(str(folder))
    qtbot.waitUntil(lambda: h.window.model.rowCount() == 2)
    h.window.grid.selectAll()

    h.window.grid.copy_selected_paths()

    assert QGuiApplication.clipboard().text() == f"{folder / 'a.jpg'}\n{folder / 'b.jpg'}"


def test_a_plain_text_file_keyring_does_not_count_as_the_systems() -> None:
    from keyrings.alt.file import PlaintextKeyring

    from lookalike.ui.credentials import keyring_usable

    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    try:
        assert not keyring_usable()
    finally:
        keyring.set_keyring(previous)
    keyring.set_keyring(MemoryKeyring())
    try:
        assert keyring_usable()
    finally:
        keyring.set_keyring(previous)


def test_the_installed_pyside6_keeps_pythons_reference_counts() -> None:
    """PySide6 6.12.0 on Python 3.11 crashes the app after a few thousand calls (qt_binding)."""
    from lookalike.ui.qt_binding import binding_problem

    assert binding_problem() is None


def test_the_grid_context_menu_offers_the_issue_actions(
    make_harness: Any, qtbot: Any, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QMenu

    folder = make_photos(tmp_path / "photos", ["a.jpg", "b.jpg"])
    h = make_harness()
    h.window.tag_store.create("temple")
    h.window._on_tags_changed()
    h.window.add_folder(str(folder))
    qtbot.waitUntil(lambda: h.window.model.rowCount() == 2)
    grid = h.window.grid
    asked: list[str] = []
    grid.find_similar_requested.connect(asked.append)

    grid._show_menu(grid.visualRect(h.window.model.index(1)).center())

    menu = grid.findChildren(QMenu, options=Qt.FindChildOption.FindDirectChildrenOnly)[-1]
    texts = [action.text().replace("&", "") for action in menu.actions()]
    assert texts == ["Find similar", "Add to tag", "", "Show in folder", "Copy path"]
    submenu = menu.actions()[1].menu()
    assert [a.text() for a in submenu.actions()] == ["temple", "", "New tag…"]
    menu.actions()[0].trigger()
    assert asked == [str(folder / "b.jpg")]
    menu.close()


def test_one_app_per_library_and_a_dead_apps_lock_is_taken_over(tmp_path: Path) -> None:
    from lookalike.ui.app import single_instance_lock

    first = single_instance_lock(tmp_path / "data")
    second = single_instance_lock(tmp_path / "data")
    assert first is not None and second is None

    # A lock file left by a process that no longer runs (pid 2**22 + 1 does not exist).
    first.unlock()
    from PySide6.QtCore import QSysInfo

    stale = f"{2**22 + 1}\nlookalike\n{QSysInfo.machineHostName()}\n"
    (tmp_path / "data" / "lookalike.lock").write_text(stale)
    taken_over = single_instance_lock(tmp_path / "data")
    assert taken_over is not None
    taken_over.unlock()
