"""Bounded reads for the WeChat channel: a stream read up to a byte limit (webhook bodies and
downloads alike) and the download of a file a customer sent, with secrets kept out of errors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import aiohttp

DOWNLOAD_TIMEOUT_S = 2.5  # a picture is fetched inside WeChat's 5 s, before the answer
CHUNK_BYTES = 64 * 1024


class DownloadError(Exception):
    """A picture could not be fetched."""


def redact_secrets(text: str, *secrets: str | None) -> str:
    """``text`` with every non-empty secret replaced by ``***``."""
    for value in secrets:
        if value:
            text = text.replace(value, "***")
    return text


async def read_limited(
    stream: aiohttp.StreamReader, max_bytes: int, too_large: Callable[[], Exception]
) -> bytes:
    """All of ``stream``; ``too_large()`` is raised as soon as it passes ``max_bytes``."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream.iter_chunked(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise too_large()
        chunks.append(chunk)
    return b"".join(chunks)


async def download(
    session: aiohttp.ClientSession,
    url: str,
    max_bytes: int,
    *,
    params: Mapping[str, str] | None = None,
    redact: Sequence[str | None] = (),
) -> tuple[bytes, str]:
    """A file's bytes and Content-Type, at most ``max_bytes`` (a picture a customer sent)."""
    try:
        async with session.get(
            url,
            params=params,
            timeout=aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT_S),
            max_redirects=3,
        ) as resp:
            if resp.status != 200:
                raise DownloadError(f"HTTP {resp.status} for the picture")
            if resp.content_length is not None and resp.content_length > max_bytes:
                raise DownloadError(
                    f"the picture is {resp.content_length} bytes; the limit is {max_bytes}"
                )
            data = await read_limited(
                resp.content,
                max_bytes,
                lambda: DownloadError(f"the picture is over the limit of {max_bytes} bytes"),
            )
            return data, resp.content_type
    except (aiohttp.ClientError, TimeoutError) as exc:
        detail = redact_secrets(f"{type(exc).__name__}: {exc}", *redact)
        raise DownloadError(f"cannot fetch the picture: {detail}") from None
