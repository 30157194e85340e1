"""Settings: the backend (the local engine, or Aspose Cloud with its credentials) and its context.

The cloud secret goes to the :class:`CredentialStore` (the system keyring when there is one), never
to QSettings. "Test connection" runs on a worker thread with short timeouts.

The search context id sits under "Advanced", read-only: an id typed by accident would point the
app at another, empty library. With Aspose Cloud it can still be changed on purpose ("Change…"),
since that is how a user reaches a cloud context made elsewhere; the local engine keeps its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from lookalike.client import ImagingClient
from lookalike.ui.backend_worker import short_error
from lookalike.ui.background import TaskRunner
from lookalike.ui.credentials import CredentialStore, keyring_usable
from lookalike.ui.settings import CLOUD, LOCAL, BackendChoice

ClientFactory = Callable[[str, str, str], Any]


def make_test_client(base_url: str, client_id: str, secret: str) -> ImagingClient:
    return ImagingClient(base_url, client_id=client_id, client_secret=secret,
                         connect_timeout=5, read_timeout=20, retries=0)


def check_connection(client: Any, context_id: str) -> str:
    """One authenticated call: the context's status if one is set, else a storage lookup."""
    try:
        if context_id:
            status = client.get_search_context_status(context_id)
            return f"Connected: search context {context_id} is {status.status}"
        client.object_exists("lookalike")
        return "Connected: the credentials work"
    finally:
        close = getattr(client, "close", None)
        if close is not None:
            close()


@dataclass(frozen=True, slots=True)
class SettingsResult:
    choice: BackendChoice
    secret: str
    secret_to_file: bool


class SettingsDialog(QDialog):
    def __init__(
        self,
        choice: BackendChoice,
        credentials: CredentialStore,
        contexts: dict[str, str],
        client_factory: ClientFactory = make_test_client,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        self._credentials = credentials
        self._contexts = dict(contexts)  # kind -> context id
        self._client_factory = client_factory
        self._runner = TaskRunner(1, self)

        self.local_radio = QRadioButton("Local engine on this computer (private, offline)", self)
        self.cloud_radio = QRadioButton(
            "Aspose Cloud (your photos are uploaded to Aspose's servers)", self
        )
        self._kind_group = QButtonGroup(self)
        self._kind_group.addButton(self.local_radio)
        self._kind_group.addButton(self.cloud_radio)

        self.cloud_box = QGroupBox("Aspose Cloud account", self)
        self.url_edit = QLineEdit(choice.base_url, self.cloud_box)
        self.client_id_edit = QLineEdit(choice.client_id, self.cloud_box)
        self.secret_edit = QLineEdit(self.cloud_box)
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setText(credentials.load(choice.client_id) or "")
        self.keyring_label = QLabel(credentials.where(), self.cloud_box)
        self.keyring_label.setWordWrap(True)
        self.to_file_check = QCheckBox(
            f"Save the secret in a file only I can read ({credentials.fallback_file.name})",
            self.cloud_box,
        )
        self.to_file_check.setVisible(not keyring_usable())
        self.test_button = QPushButton("Test connection", self.cloud_box)
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel(self.cloud_box)
        self.test_result.setWordWrap(True)
        form = QFormLayout(self.cloud_box)
        form.addRow("Server:", self.url_edit)
        form.addRow("Client id:", self.client_id_edit)
        form.addRow("Client secret:", self.secret_edit)
        form.addRow("", self.keyring_label)
        form.addRow("", self.to_file_check)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)
        form.addRow("", test_row)

        self.advanced_box = QGroupBox("Advanced", self)
        context_note = QLabel(
            "Where your photos' search data is kept. Lookalike manages it for you.",
            self.advanced_box,
        )
        context_note.setWordWrap(True)
        self.context_edit = QLineEdit(self.advanced_box)
        self.context_edit.setReadOnly(True)
        self.context_edit.setPlaceholderText("none yet: a new one is made when needed")
        self.context_edit.setToolTip("The search context in use")
        self.change_context_button = QPushButton("Change…", self.advanced_box)
        self.change_context_button.setToolTip(
            "Use another Aspose Cloud search context, for example one made on another computer"
        )
        self.change_context_button.clicked.connect(self.unlock_context)
        context_row = QHBoxLayout()
        context_row.addWidget(self.context_edit, 1)
        context_row.addWidget(self.change_context_button)
        context_form = QFormLayout(self.advanced_box)
        context_form.addRow(context_note)
        context_form.addRow("Search context:", context_row)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Backend</b>", self))
        layout.addWidget(self.local_radio)
        layout.addWidget(self.cloud_radio)
        layout.addWidget(self.cloud_box)
        layout.addWidget(self.advanced_box)
        layout.addStretch(1)
        layout.addWidget(buttons)

        self._kind = ""
        (self.cloud_radio if choice.kind == CLOUD else self.local_radio).setChecked(True)
        self._on_kind_changed()
        self.local_radio.toggled.connect(self._on_kind_changed)
        self.finished.connect(lambda _result: self._runner.shutdown())

    def kind(self) -> str:
        return CLOUD if self.cloud_radio.isChecked() else LOCAL

    def _on_kind_changed(self) -> None:
        if self._kind:
            self._contexts[self._kind] = self.context_edit.text().strip()
        self._kind = self.kind()
        self.context_edit.setText(self._contexts.get(self._kind, ""))
        self.context_edit.setReadOnly(True)
        self.cloud_box.setEnabled(self._kind == CLOUD)
        self.change_context_button.setEnabled(self._kind == CLOUD)

    def unlock_context(self) -> None:
        """Let the user type another cloud context id (empty: make a new context)."""
        if self.kind() != CLOUD:
            return
        self.context_edit.setReadOnly(False)
        self.context_edit.setPlaceholderText("empty: create a new search context")
        self.context_edit.setFocus()
        self.context_edit.selectAll()

    def result_settings(self) -> SettingsResult:
        return SettingsResult(
            BackendChoice(
                kind=self.kind(),
                base_url=self.url_edit.text().strip(),
                client_id=self.client_id_edit.text().strip(),
                context_id=self.context_edit.text().strip(),
            ),
            self.secret_edit.text(),
            self.to_file_check.isChecked(),
        )

    def test_connection(self) -> None:
        url = self.url_edit.text().strip()
        client_id = self.client_id_edit.text().strip()
        secret = self.secret_edit.text()
        context_id = self.context_edit.text().strip()
        if not (url and client_id and secret):
            self.test_result.setText("Enter the server, the client id and the secret first")
            return
        self.test_button.setEnabled(False)
        self.test_result.setText("Connecting…")
        factory = self._client_factory
        self._runner.run(
            lambda: check_connection(factory(url, client_id, secret), context_id),
            self._on_tested, self._on_test_failed,
        )

    def _on_tested(self, message: object) -> None:
        self.test_button.setEnabled(True)
        self.test_result.setText(str(message))

    def _on_test_failed(self, error: BaseException) -> None:
        self.test_button.setEnabled(True)
        self.test_result.setText(f"Failed: {short_error(error)}")
