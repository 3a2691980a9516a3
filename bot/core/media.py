"""Photos and files customers send, kept on disk and served by the gateway at ``/media/``.

Names are content hashes, so the same photo sent twice is stored once and a name can never
point outside the media folder. Gateway replicas share photos by sharing the folder
(``channels.media_dir`` / ``SHOP_MEDIA_DIR`` on one volume): each write goes to a file of its
own and is renamed into place, so two replicas saving the same photo at once both succeed.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

# What customers may send; anything else is refused rather than served back.
MIME_EXTENSIONS: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
}
NAME_RE = re.compile(r"[0-9a-f]{64}\.(?:jpg|png|gif|webp)")
URL_PREFIX = "/media/"


class MediaError(ValueError):
    """The file is too large or not an accepted image type."""


def sniff_image_type(data: bytes) -> str | None:
    """The image MIME type from the file's first bytes (platform headers can lie)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class MediaStore:
    def __init__(self, root: Path, *, max_bytes: int = 10_000_000) -> None:
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        self.root = root
        self.max_bytes = max_bytes

    def save(self, data: bytes) -> tuple[str, str]:
        """Store an image; returns (URL path like ``/media/<sha256>.jpg``, MIME type)."""
        if len(data) > self.max_bytes:
            raise MediaError(f"the file is {len(data)} bytes; the limit is {self.max_bytes}")
        mime = sniff_image_type(data)
        if mime is None:
            raise MediaError("not a JPEG, PNG, GIF or WebP image")
        name = f"{hashlib.sha256(data).hexdigest()}.{MIME_EXTENSIONS[mime]}"
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / name
        if not path.exists():
            tmp = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}.part")
            tmp.write_bytes(data)
            tmp.replace(path)
        return URL_PREFIX + name, mime

    def path_of(self, name: str) -> Path | None:
        """The file behind a ``/media/<name>`` URL, or None for an invalid or unknown name."""
        if not NAME_RE.fullmatch(name):
            return None
        path = self.root / name
        return path if path.is_file() else None
