"""WeChat's signatures and safe-mode message crypto.

Owns the sha1 ``signature``/``msg_signature`` and its constant-time check, decoding the
43-character EncodingAESKey, and :class:`WeChatCipher`: AES-256-CBC with the 32-byte key
(IV = the key's first 16 bytes, PKCS#7 padding to 32-byte blocks, plaintext = 16 random bytes
+ 4-byte big-endian length + XML + app id). Nothing here knows about HTTP.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.config import ConfigError

AES_KEY_LENGTH = 43
AES_BLOCK_BITS = 256  # WeChat pads to 32-byte blocks, not AES's 16
RANDOM_PREFIX_BYTES = 16


def wechat_signature(*parts: str) -> str:
    """sha1 hex of the parts sorted and joined (``signature`` and ``msg_signature``)."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def signature_matches(given: str, *parts: str) -> bool:
    """Whether ``given`` is the signature of ``parts``, compared in constant time."""
    expected = wechat_signature(*parts)
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def decode_aes_key(value: str) -> bytes:
    """The 32-byte AES key from WeChat's 43-character EncodingAESKey (base64 without '=')."""
    if len(value) != AES_KEY_LENGTH:
        raise ConfigError(
            f"`WECHAT_AES_KEY` must be the {AES_KEY_LENGTH}-character EncodingAESKey from the "
            f"WeChat admin page (Settings > Basic configuration), got {len(value)} characters"
        )
    try:
        key = base64.b64decode(value + "=", validate=True)
    except binascii.Error:
        raise ConfigError(
            "`WECHAT_AES_KEY` must hold only letters, digits, '+' and '/' (base64); "
            "copy the EncodingAESKey from the WeChat admin page again"
        ) from None
    if len(key) != 32:  # pragma: no cover - 43 base64 characters always give 32 bytes
        raise ConfigError(f"`WECHAT_AES_KEY` decodes to {len(key)} bytes, expected 32")
    return key


class WeChatCryptoError(ValueError):
    """An ``Encrypt`` value that does not decrypt to a WeChat message."""


class AppIdMismatch(WeChatCryptoError):
    """A message encrypted for another official account."""


class WeChatCipher:
    """WeChat's message encryption (AES-256-CBC, IV = key[:16], PKCS#7 to 32 bytes)."""

    def __init__(self, key: bytes, app_id: str) -> None:
        if len(key) != 32:
            raise ValueError(f"the AES key must be 32 bytes, got {len(key)}")
        if not app_id:
            raise ValueError("app_id must not be empty")
        self._key = key
        self._app_id = app_id.encode("utf-8")

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def encrypt(self, xml: bytes, *, random_prefix: bytes | None = None) -> str:
        """Base64 ciphertext of ``xml`` for this app (``random_prefix`` only for tests)."""
        prefix = random_prefix if random_prefix is not None else os.urandom(RANDOM_PREFIX_BYTES)
        if len(prefix) != RANDOM_PREFIX_BYTES:
            raise ValueError(f"random_prefix must be {RANDOM_PREFIX_BYTES} bytes")
        plain = prefix + struct.pack(">I", len(xml)) + xml + self._app_id
        padder = padding.PKCS7(AES_BLOCK_BITS).padder()
        padded = padder.update(plain) + padder.finalize()
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypted: str) -> bytes:
        """The XML inside ``encrypted``; :class:`AppIdMismatch` if it is for another app."""
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise WeChatCryptoError("`Encrypt` is not base64") from None
        if not data or len(data) % 16:
            raise WeChatCryptoError(
                f"`Encrypt` holds {len(data)} bytes; AES ciphertext is a non-empty multiple of 16"
            )
        decryptor = self._cipher().decryptor()
        padded = decryptor.update(data) + decryptor.finalize()
        unpadder = padding.PKCS7(AES_BLOCK_BITS).unpadder()
        try:
            plain = unpadder.update(padded) + unpadder.finalize()
        except ValueError:
            raise WeChatCryptoError(
                "`Encrypt` does not decrypt with this key (bad padding); check WECHAT_AES_KEY"
            ) from None
        body = plain[RANDOM_PREFIX_BYTES:]
        if len(body) < 4:
            raise WeChatCryptoError("the decrypted message is too short")
        (length,) = struct.unpack(">I", body[:4])
        if length > len(body) - 4:
            raise WeChatCryptoError(
                f"the decrypted message claims {length} bytes of XML but holds {len(body) - 4}"
            )
        xml, app_id = body[4 : 4 + length], body[4 + length :]
        if not hmac.compare_digest(app_id, self._app_id):
            raise AppIdMismatch("the message is encrypted for another app id; check WECHAT_APP_ID")
        return xml
