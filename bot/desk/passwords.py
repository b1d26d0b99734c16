"""Password hashing (argon2id, through argon2-cffi) and the one-time passwords new accounts start with."""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["MIN_LENGTH", "hash_password", "one_time_password", "verify_password"]

MIN_LENGTH = 10
_HASHER = PasswordHasher()
_WORDS_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # nothing to mistake when read aloud or copied by hand
# a hash of nothing, verified when the account does not exist, so a wrong name costs as long as a wrong password
_DUMMY = _HASHER.hash(secrets.token_hex(16))


def one_time_password() -> str:
    """Four groups of four characters (about 79 bits), to be changed at the first login."""
    return "-".join("".join(secrets.choice(_WORDS_ALPHABET) for _ in range(4)) for _ in range(4))


async def hash_password(password: str) -> str:
    """Hashes in a thread: argon2 takes tens of milliseconds on purpose, which the event loop must not wait."""
    return await asyncio.to_thread(_HASHER.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _HASHER.verify(stored_hash or _DUMMY, password) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)
