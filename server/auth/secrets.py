"""Client secrets at rest: hashed where the protocol allows, encrypted where it cannot.

OAuth 2.0 only ever compares a presented secret, so rosterlab keeps a salted scrypt hash. OAuth 1.0a signs
with HMAC, for which the server needs the secret itself: it is kept encrypted (Fernet, AES-128-CBC with an
HMAC) under a key from configuration (ROSTERLAB_SECRET_KEY, or a key file created on first use).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def new_secret() -> str:
    """A fresh random client secret."""
    return secrets.token_urlsafe(24)


def hash_secret(secret: str) -> str:
    """A salted scrypt hash of a secret, as `scrypt$salt$hash` (base64)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def check_secret(secret: str, stored: str | None) -> bool:
    """Whether `secret` matches a stored hash (in constant time)."""
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(secret.encode(), salt=base64.b64decode(salt), **_SCRYPT)
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def token_digest(token: str) -> str:
    """How a bearer token is stored: its SHA-256, so a leaked table leaks no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


class SecretBox:
    """Encrypts and decrypts OAuth 1.0a secrets with one key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_configuration(cls, key: str | None, key_file: Path) -> SecretBox:
        """The key given, or the one in `key_file` (created with a new key, readable by its owner only)."""
        if key:
            return cls(key.encode())
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_bytes(Fernet.generate_key())
            key_file.chmod(0o600)
        return cls(key_file.read_bytes().strip())

    def seal(self, secret: str) -> str:
        """The secret, encrypted."""
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str | None:
        """The secret, or None when it was sealed under another key."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            return None
