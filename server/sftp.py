"""An SFTP drop: the mock SIS publishes its CSV export where integrations pick it up, as real SIS do.

A real SSH server (asyncssh) with its own accounts (password or public key) serves one read-only folder.
The bundle is written there at a configured path and file name, atomically, on demand and every
`interval` seconds. Clients may list and download; every write is refused.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh
from sqlalchemy import Engine

from rosterlab.server.csv.export import export_store

log = logging.getLogger("rosterlab.server.sftp")


@dataclass(frozen=True)
class SftpAccount:
    """An account of the SFTP drop: a password, authorized public keys, or both."""

    username: str
    password: str | None = None
    public_keys: tuple[str, ...] = ()  # OpenSSH public key lines


@dataclass
class SftpSettings:
    """Where the drop listens and what it publishes."""

    root: Path
    accounts: tuple[SftpAccount, ...]
    host: str = "127.0.0.1"
    port: int = 2222
    path: str = "oneroster"  # folder under the root
    filename: str = "oneroster.zip"
    version: str = "1.2.1"
    interval: float = 0  # seconds between publications; 0: on demand only
    host_key_file: Path | None = None
    accepted: list[str] = field(default_factory=list)


class _Accounts(asyncssh.SSHServer):
    def __init__(self, accounts: dict[str, SftpAccount]) -> None:
        self.accounts = accounts

    def begin_auth(self, username: str) -> bool:
        account = self.accounts.get(username)
        if account and account.public_keys:
            self._conn.set_authorized_keys(asyncssh.import_authorized_keys("\n".join(account.public_keys)))
        return True

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        account = self.accounts.get(username)
        valid = bool(account and account.password and hmac.compare_digest(account.password, password))
        if not valid:
            log.info("SFTP login refused for %s", username)
        return valid

    def public_key_auth_supported(self) -> bool:
        return True


class _ReadOnly(asyncssh.SFTPServer):
    """The published folder, read-only."""

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs):
        if pflags & (asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC):
            raise asyncssh.SFTPPermissionDenied("the drop is read-only")
        return super().open(path, pflags, attrs)

    def _refuse(self, *_args, **_kwargs):
        raise asyncssh.SFTPPermissionDenied("the drop is read-only")

    remove = rename = posix_rename = mkdir = rmdir = setstat = symlink = link = _refuse


def publish_bundle(bundle: bytes, target: Path) -> Path:
    """Write a bundle where a drop serves it, atomically (readers never see half a file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".partial")
    partial.write_bytes(bundle)
    os.replace(partial, target)
    return target


def _host_key(settings: SftpSettings) -> asyncssh.SSHKey:
    if settings.host_key_file and settings.host_key_file.exists():
        return asyncssh.read_private_key(str(settings.host_key_file))
    key = asyncssh.generate_private_key("ssh-ed25519")
    if settings.host_key_file:
        settings.host_key_file.parent.mkdir(parents=True, exist_ok=True)
        key.write_private_key(str(settings.host_key_file))
        settings.host_key_file.chmod(0o600)
    return key


class SftpDrop:
    """Publishes a store's bundle and serves it over SFTP from a background thread."""

    def __init__(self, engine: Engine, settings: SftpSettings, export: Callable[[], bytes] | None = None) -> None:
        self.settings = settings
        self.export = export or (lambda: export_store(engine, settings.version))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="sftp-drop")
        self.acceptor: asyncssh.SSHAcceptor | None = None

    @property
    def target(self) -> Path:
        """Where the bundle is published on disk."""
        return self.settings.root / self.settings.path / self.settings.filename

    def publish(self) -> Path:
        """Write the current bundle (atomically: readers never see half a file)."""
        return publish_bundle(self.export(), self.target)

    async def _serve(self) -> None:
        accounts = {account.username: account for account in self.settings.accounts}
        root = str(self.settings.root.resolve())
        self.acceptor = await asyncssh.listen(
            self.settings.host,
            self.settings.port,
            server_host_keys=[_host_key(self.settings)],
            server_factory=lambda: _Accounts(accounts),
            sftp_factory=lambda chan: _ReadOnly(chan, chroot=root.encode()),
            allow_scp=False,
        )
        if self.settings.interval > 0:
            self.loop.create_task(self._every_interval())

    async def _every_interval(self) -> None:
        while True:
            await asyncio.sleep(self.settings.interval)
            try:
                await asyncio.get_running_loop().run_in_executor(None, self.publish)
            except Exception:  # a failed publication must not stop the next ones
                log.exception("publishing the SFTP bundle failed")

    def start(self) -> int:
        """Publish once and start serving; the port it listens on."""
        self.settings.root.mkdir(parents=True, exist_ok=True)
        self.publish()
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(timeout=30)
        assert self.acceptor is not None
        return self.acceptor.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self.acceptor is not None:
            self.acceptor.close()
            await self.acceptor.wait_closed()
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def stop(self) -> None:
        """Stop serving, and the scheduled publication with it."""
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
