"""The one way a CSV bundle's zip is opened and read: with bounded inflation and one-line refusals.

Every entry point (`csv validate`, `csv import`, `check-csv`, the sync engine's CSV and SFTP sources, the
consoles) reads a bundle through `rosterlab.spec.csv_bundle.read_bundle`, which reads its members here. A
member is refused, with a `ZipRefused` naming it, its sizes and the limit, when it would inflate past the
limits below (declared or actual), or when the archive is corrupt, encrypted or uses an unknown compression.
The limits are read from the environment at each read; see `ZipLimits`.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from dataclasses import dataclass
from typing import Self

GIB = 1 << 30
MIB = 1 << 20
CHUNK = MIB
RATIO_FLOOR = MIB  # the ratio applies to members inflating past this size: small files compress unevenly
SUPPORTED_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


class ZipRefused(Exception):
    """A bundle refused while opening or reading it: `member` names the file (or "(bundle)")."""

    def __init__(self, member: str, message: str) -> None:
        super().__init__(f"{member}: {message}")
        self.member = member
        self.message = message


@dataclass(frozen=True)
class ZipLimits:
    """How far a bundle may inflate, and how wide its CSV may be; each is an environment variable."""

    max_bytes: int = 2 * GIB  # ROSTERLAB_CSV_MAX_BYTES: all members together, inflated
    max_file_bytes: int = 2 * GIB  # ROSTERLAB_CSV_MAX_FILE_BYTES: one member, inflated
    max_ratio: int = 200  # ROSTERLAB_CSV_MAX_RATIO: inflated / compressed, per member and in all
    max_columns: int = 1000  # ROSTERLAB_CSV_MAX_COLUMNS: columns of a header or row
    max_field_chars: int = 131072  # ROSTERLAB_CSV_MAX_FIELD_CHARS: characters of one field

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Self:
        """The defaults, overridden by any ROSTERLAB_CSV_MAX_* variable set; ZipRefused names a bad one."""
        environ = dict(os.environ if environ is None else environ)
        values = {}
        for name, variable in ENV_VARIABLES.items():
            text = environ.get(variable, "").strip().replace("_", "")
            if not text:
                continue
            if not text.isdigit() or int(text) < 1:
                raise ZipRefused("(settings)", f"{variable} must be a positive whole number, not {text!r}")
            values[name] = int(text)
        return cls(**values)


ENV_VARIABLES = {
    "max_bytes": "ROSTERLAB_CSV_MAX_BYTES",
    "max_file_bytes": "ROSTERLAB_CSV_MAX_FILE_BYTES",
    "max_ratio": "ROSTERLAB_CSV_MAX_RATIO",
    "max_columns": "ROSTERLAB_CSV_MAX_COLUMNS",
    "max_field_chars": "ROSTERLAB_CSV_MAX_FIELD_CHARS",
}

# What zipfile, zlib, bz2 and lzma raise on damaged or unreadable data.
CORRUPTION = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError)


def _size(count: int) -> str:
    return f"{count:,} bytes"


def download_limit() -> int:
    """How many bytes to fetch of a bundle at most: one past the limit, so that reading it refuses it."""
    try:
        return ZipLimits.from_env().max_bytes + 1
    except ZipRefused:
        return ZipLimits().max_bytes + 1  # the bad setting is reported when the bundle is read


class BoundedZip:
    """A bundle's zip, checked when opened (sizes declared, encryption, compression) and bounded when read."""

    def __init__(self, data: bytes, limits: ZipLimits | None = None) -> None:
        self.limits = limits or ZipLimits.from_env()
        if len(data) > self.limits.max_bytes:
            raise ZipRefused("(bundle)", self._over(len(data), "max_bytes", "the zip is"))
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
        except CORRUPTION as error:
            raise ZipRefused("(bundle)", f"not a zip file, or a truncated or damaged one ({error})") from None
        self.infos = {info.filename: info for info in self.archive.infolist()}
        self.inflated = 0  # bytes inflated so far, all members together
        self.compressed = 0
        self._check_declared()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.archive.close()

    def namelist(self) -> list[str]:
        """The members' names, in the zip's order."""
        return list(self.infos)

    def _over(self, size: int, limit: str, what: str, compressed: int | None = None) -> str:
        source = f" from {_size(compressed)}" if compressed is not None else ""
        bound = f"{_size(getattr(self.limits, limit))} ({ENV_VARIABLES[limit]})"
        return f"{what} {_size(size)}{source}, over the limit of {bound}"

    def _ratio_refusal(self, inflated: int, compressed: int, what: str) -> str | None:
        if inflated <= RATIO_FLOOR or inflated <= self.limits.max_ratio * max(compressed, 1):
            return None
        return (
            f"{what} {_size(inflated)} from {_size(compressed)}, a compression ratio over the limit of "
            f"{self.limits.max_ratio} ({ENV_VARIABLES['max_ratio']})"
        )

    def _check_declared(self) -> None:
        """Refuse before inflating anything what the central directory already says is too much."""
        total = compressed = 0
        for name, info in self.infos.items():
            if info.flag_bits & 0x1:
                raise ZipRefused(name, "the member is encrypted; bundles must not be")
            if info.compress_type not in SUPPORTED_METHODS:
                raise ZipRefused(name, f"unknown compression method {info.compress_type}; use deflate")
            if info.file_size > self.limits.max_file_bytes:
                raise ZipRefused(name, self._over(info.file_size, "max_file_bytes", "inflates to", info.compress_size))
            problem = self._ratio_refusal(info.file_size, info.compress_size, "inflates to")
            if problem:
                raise ZipRefused(name, problem)
            total += info.file_size
            compressed += info.compress_size
        if total > self.limits.max_bytes:
            raise ZipRefused("(bundle)", self._over(total, "max_bytes", "the members inflate to"))
        problem = self._ratio_refusal(total, compressed, "the members inflate to")
        if problem:
            raise ZipRefused("(bundle)", problem)

    def read(self, name: str) -> bytes:
        """A member's bytes, inflated in chunks and refused as soon as it passes a limit."""
        info = self.infos[name]
        out = bytearray()
        try:
            with self.archive.open(info) as member:
                while chunk := member.read(CHUNK):
                    out += chunk
                    self._check_actual(name, len(out), info.compress_size)
        except ZipRefused:
            raise
        except CORRUPTION as error:
            raise ZipRefused(name, f"the member is corrupt and cannot be read ({error})") from None
        self.inflated += len(out)
        self.compressed += info.compress_size
        return bytes(out)

    def head(self, name: str, size: int) -> bytes:
        """At most `size` bytes from the start of a member (not counted against the limits)."""
        try:
            with self.archive.open(self.infos[name]) as member:
                return member.read(size)
        except CORRUPTION as error:
            raise ZipRefused(name, f"the member is corrupt and cannot be read ({error})") from None

    def _check_actual(self, name: str, inflated: int, compressed: int) -> None:
        if inflated > self.limits.max_file_bytes:
            raise ZipRefused(name, self._over(inflated, "max_file_bytes", "inflates past", compressed))
        if self.inflated + inflated > self.limits.max_bytes:
            raise ZipRefused(name, self._over(self.inflated + inflated, "max_bytes", "the members inflate past"))
        problem = self._ratio_refusal(inflated, compressed, "inflates past")
        if problem:
            raise ZipRefused(name, problem)


__all__ = ["BoundedZip", "ZipLimits", "ZipRefused", "download_limit"]
