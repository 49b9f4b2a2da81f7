"""A CSV bundle fetched over SFTP (asyncssh), as districts publish them for integrations.

The server's host key is pinned: given with the connection, or recorded at the first successful fetch
(trust on first use) and required to match from then on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncssh

from rosterlab.consumer.auth import AuthError
from rosterlab.consumer.client import SyncError
from rosterlab.consumer.sources.base import Progress, Pull, Since
from rosterlab.consumer.sources.csv import CsvSource
from rosterlab.spec.csv_zip import download_limit


@dataclass(frozen=True)
class SftpLocation:
    """Where the bundle is and how to log in: a password, a private key file, or both."""

    host: str
    username: str
    path: str  # folder and file name on the server, e.g. "exports/oneroster.zip"
    port: int = 22
    password: str | None = None
    key_file: str | None = None
    host_key: str | None = None  # the server's OpenSSH public key, once pinned
    timeout: float = 30.0


async def _download(location: SftpLocation) -> tuple[bytes, str]:
    keys = [asyncssh.read_private_key(location.key_file)] if location.key_file else ()
    async with asyncssh.connect(
        location.host,
        location.port,
        username=location.username,
        password=location.password,
        client_keys=keys,
        known_hosts=None,  # pinned below, against the key recorded for this connection
        connect_timeout=location.timeout,
    ) as connection:
        presented = connection.get_server_host_key().export_public_key().decode().strip()
        if location.host_key and presented != location.host_key.strip():
            raise SyncError(
                f"the SFTP server at {location.host}:{location.port} presented a different host key than the one "
                "pinned for this connection; refusing to fetch"
            )
        async with connection.start_sftp_client() as sftp, sftp.open(location.path, "rb") as remote:
            return await remote.read(download_limit()), presented


def fetch(location: SftpLocation) -> tuple[bytes, str]:
    """The file's bytes and the server's host key; errors name what failed, never a secret."""
    where = f"{location.host}:{location.port}"
    try:
        return asyncio.run(_download(location))
    except asyncssh.PermissionDenied:
        raise AuthError(f"the SFTP server at {where} refused the login of {location.username!r}") from None
    except asyncssh.SFTPNoSuchFile:
        raise SyncError(f"the SFTP server at {where} has no file {location.path!r}") from None
    except asyncssh.SFTPError as error:
        raise SyncError(f"SFTP {where}: {error.reason}") from None
    except (OSError, asyncssh.Error, TimeoutError) as error:
        raise SyncError(f"cannot reach the SFTP server at {where}: {error}") from None


class SftpSource:
    """Fetches the configured file, then reads it as a CSV bundle."""

    def __init__(self, location: SftpLocation, on_new_host_key: Callable[[str], None] | None = None) -> None:
        self.location = location
        self.on_new_host_key = on_new_host_key

    def download(self) -> bytes:
        data, presented = fetch(self.location)
        if not self.location.host_key and self.on_new_host_key:
            self.on_new_host_key(presented)
        return data

    def pull(self, entities: Sequence[str], since: Since = None, progress: Progress | None = None) -> Pull:
        return CsvSource(self.download()).pull(entities, since, progress)
