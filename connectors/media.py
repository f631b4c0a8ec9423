"""Customers' attachments on disk (MEDIA_DIR, default var/media/): kept, never served publicly.

Why one module: email attachments, WhatsApp images/PDFs and web-chat images all end up as files an
agent looks at in the console. Files are named by the SHA-256 of their content (no customer data in
file names, the same file twice is stored once); the original name and type live in the message's
`media` JSON. Only the console serves them, to logged-in agents (connectors/console/views.py).
"""
from __future__ import annotations

import hashlib
import mimetypes
import re
from pathlib import Path

# Types an agent's browser may show inline; anything else is offered as a download.
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}
_EXT = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
        "application/pdf": ".pdf", "text/plain": ".txt"}
_NAME = re.compile(r"^[0-9a-f]{64}(\.[a-z0-9]{1,8})?$")


class MediaError(Exception):
    """An attachment that can't be kept (too large, empty): the message is stored without it."""


def media_dir(settings) -> Path:
    return Path(settings.MEDIA_DIR)


def _extension(content_type: str | None, filename: str | None) -> str:
    ext = _EXT.get((content_type or "").lower())
    if ext:
        return ext
    guess = Path(filename or "").suffix.lower()
    if re.fullmatch(r"\.[a-z0-9]{1,8}", guess):
        return guess
    return mimetypes.guess_extension(content_type or "") or ""


def save(settings, data: bytes, *, content_type: str | None, filename: str | None = None,
         kind: str = "attachment") -> dict:
    """Write `data` under MEDIA_DIR; return the `media` entry a message stores.

    The entry: `{kind, file, filename, content_type, size}`; `file` is the stored name the console
    serves at /agent/media/<file>. Raises MediaError when the file is empty or over MEDIA_MAX_BYTES.
    """
    if not data:
        raise MediaError("empty attachment")
    if len(data) > settings.MEDIA_MAX_BYTES:
        raise MediaError(f"attachment of {len(data)} bytes is over MEDIA_MAX_BYTES")
    name = hashlib.sha256(data).hexdigest() + _extension(content_type, filename)
    folder = media_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)  # never a half-written file under the final name
    return {"kind": kind, "file": name, "filename": filename or None,
            "content_type": (content_type or "application/octet-stream").lower(), "size": len(data)}


def type_of(name: str) -> str:
    """The content type a stored file is served as, from the extension `save` gave it."""
    ext = Path(name).suffix.lower()
    for ctype, known in _EXT.items():
        if known == ext:
            return ctype
    return "application/octet-stream"


def path_of(settings, name: str) -> Path | None:
    """The file for a stored name, or None: only names `save` made, so no path tricks."""
    if not _NAME.match(name or ""):
        return None
    path = media_dir(settings) / name
    return path if path.is_file() else None


def sniff_image(data: bytes) -> str | None:
    """The image type by magic bytes (PNG, JPEG, WebP), whatever the client claims; else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def sniff_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-")
