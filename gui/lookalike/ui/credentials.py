"""The Aspose Cloud client secret: in the system keyring, or for this run only, or in a file.

A secret never goes into QSettings. When the system has no usable keyring (a bare Linux desktop,
a container), the secret is kept in memory for this run unless the user asks for a file; that file
is readable by the user only.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import keyring
import keyring.errors
from keyring.backends import fail

log = logging.getLogger(__name__)

SERVICE = "Lookalike Aspose Cloud"


def keyring_usable() -> bool:
    """Whether the system's keyring is there (not the "fail" one, not a file pretending)."""
    try:
        backend = keyring.get_keyring()
    except Exception:
        log.warning("The keyring is not usable", exc_info=True)
        return False
    if isinstance(backend, fail.Keyring):
        return False
    # keyrings.alt's backends are files (plain text, or with a password asked on the console):
    # not the system keyring the user expects the secret in.
    if type(backend).__module__.startswith("keyrings.alt"):
        return False
    return float(getattr(backend, "priority", 1)) > 0


class CredentialStore:
    """Where secrets go: keyring when it works, else memory, or ``file`` if the user chose it."""

    def __init__(self, fallback_file: Path) -> None:
        self._file = fallback_file
        self._memory: dict[str, str] = {}

    @property
    def fallback_file(self) -> Path:
        return self._file

    def where(self) -> str:
        """A few words for the settings dialog about where a saved secret would go."""
        if keyring_usable():
            return "Saved in the system keyring"
        return "No system keyring: kept for this run only, unless saved to a file"

    def save(self, client_id: str, secret: str, *, to_file: bool = False) -> str:
        """Store the secret; returns "keyring", "file" or "memory" (where it went)."""
        self._memory[client_id] = secret
        if keyring_usable():
            try:
                keyring.set_password(SERVICE, client_id, secret)
            except keyring.errors.KeyringError:
                log.warning("Could not save the secret in the keyring", exc_info=True)
            else:
                return "keyring"
        if to_file:
            self._write_file(client_id, secret)
            return "file"
        return "memory"

    def load(self, client_id: str) -> str | None:
        if not client_id:
            return None
        if client_id in self._memory:
            return self._memory[client_id]
        if keyring_usable():
            try:
                secret = keyring.get_password(SERVICE, client_id)
            except keyring.errors.KeyringError:
                log.warning("Could not read the secret from the keyring", exc_info=True)
            else:
                if secret is not None:
                    return secret
        return self._read_file().get(client_id)

    def forget(self, client_id: str) -> None:
        self._memory.pop(client_id, None)
        if keyring_usable():
            try:
                keyring.delete_password(SERVICE, client_id)
            except keyring.errors.KeyringError:
                log.debug("No secret for %s in the keyring", client_id)
        secrets = self._read_file()
        if secrets.pop(client_id, None) is not None:
            self._write_secrets(secrets)

    def _read_file(self) -> dict[str, str]:
        if not self._file.exists():
            return {}
        try:
            data = json.loads(self._file.read_text("utf-8"))
        except (OSError, ValueError):
            log.warning("Can't read the credentials file %s", self._file, exc_info=True)
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write_file(self, client_id: str, secret: str) -> None:
        secrets = self._read_file()
        secrets[client_id] = secret
        self._write_secrets(secrets)

    def _write_secrets(self, secrets: dict[str, str]) -> None:
        self._file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._file.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(secrets, handle)
        os.replace(temporary, self._file)
