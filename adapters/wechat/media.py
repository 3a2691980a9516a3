"""Bounded reads for the WeChat channel: a stream read up to a byte limit (webhook bodies and
downloads alike) and the download of a file a customer sent, with secrets kept out of errors.

Where a picture may come from. The ``PicUrl`` of an image message is attacker-controlled text
(anyone who can post to the webhook, or a forged message, chooses it), so it is fetched only
when it points at one of WeChat's picture hosts (:data:`PICTURE_HOSTS`), over https, on the
default port, without user info; anything else (loopback such as Rasa's ``127.0.0.1:5005``,
private or other IP literals, internal names, other hosts) is refused and the picture comes
from the official media API (``/cgi-bin/media/get`` with the access token and the message's
``MediaId``) instead. No download follows a redirect, so an allowed host cannot bounce the
request to an internal one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

import aiohttp
from yarl import URL

DOWNLOAD_TIMEOUT_S = 2.5  # a picture is fetched inside WeChat's 5 s, before the answer
CHUNK_BYTES = 64 * 1024

# WeChat's picture CDN hosts: PicUrl of image messages (mmbiz.qpic.cn), article and profile
# images (mmbiz.qlogo.cn), Moments pictures (mmsns.qpic.cn). Exact names, no wildcards.
PICTURE_HOSTS: frozenset[str] = frozenset({"mmbiz.qpic.cn", "mmbiz.qlogo.cn", "mmsns.qpic.cn"})
# WeChat sends PicUrl as http://mmbiz.qpic.cn/...; the same path is fetched over https.
PICTURE_SCHEMES: frozenset[str] = frozenset({"https"})
_UNSAFE_CHARS = frozenset("\\@ \t\r\n") | {chr(c) for c in range(0x20)} | {"\x7f"}


class DownloadError(Exception):
    """A picture could not be fetched."""


def redact_secrets(text: str, *secrets: str | None) -> str:
    """``text`` with every non-empty secret replaced by ``***``."""
    for value in secrets:
        if value:
            text = text.replace(value, "***")
    return text


def picture_url(
    url: str | None,
    *,
    hosts: Collection[str] | None = None,
    schemes: Collection[str] | None = None,
) -> str | None:
    """The URL to fetch for a ``PicUrl``, or None when it must not be fetched.

    Allowed: a WeChat picture host (``hosts``, default :data:`PICTURE_HOSTS`), https (an http
    URL on such a host is upgraded), the scheme's default port (another port only where
    ``hosts`` names ``host:port``), no user info, no backslash,
    ``@``, whitespace or control characters (they make URL parsers disagree about the host).
    """
    allowed_hosts = PICTURE_HOSTS if hosts is None else hosts
    allowed_schemes = PICTURE_SCHEMES if schemes is None else schemes
    if not url or len(url) > 2048 or any(ch in _UNSAFE_CHARS for ch in url):
        return None
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return None
    if not parsed.is_absolute() or parsed.user is not None or parsed.password is not None:
        return None
    host = (parsed.raw_host or "").lower()
    if host not in allowed_hosts and f"{host}:{parsed.explicit_port}" not in allowed_hosts:
        return None
    scheme = parsed.scheme.lower()
    if scheme == "http" and "http" not in allowed_schemes and "https" in allowed_schemes:
        if parsed.explicit_port is not None and parsed.explicit_port != 80:
            return None
        parsed = parsed.with_scheme("https").with_port(None)
        scheme = "https"
    if scheme not in allowed_schemes:
        return None
    if (
        parsed.explicit_port is not None
        and not parsed.is_default_port()
        and f"{host}:{parsed.explicit_port}" not in allowed_hosts
    ):
        return None
    return str(parsed)


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
    """A file's bytes and Content-Type, at most ``max_bytes`` (a picture a customer sent).

    Redirects are never followed: a 3xx answer is a :class:`DownloadError`.
    """
    try:
        async with session.get(
            url,
            params=params,
            timeout=aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT_S),
            allow_redirects=False,
        ) as resp:
            if 300 <= resp.status < 400:
                raise DownloadError(f"HTTP {resp.status}: redirects are not followed")
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
