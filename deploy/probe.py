"""Container health check: exit 0 when a URL answers 200 (and, optionally, a JSON key is set).

The images have no curl; compose health checks and the Kubernetes Rasa readiness probe run this
with the image's Python (3.10 or 3.11, standard library only):

    python deploy/probe.py http://127.0.0.1:8000/healthz
    python deploy/probe.py http://127.0.0.1:5005/status \
        --token-env RASA_AUTH_TOKEN --json-key model_id

``--token-env NAME`` adds ``?token=<value of NAME>`` (Rasa's HTTP API token) without putting the
token on a command line; ``--json-key KEY`` also requires a non-empty ``KEY`` in the JSON body
(Rasa's /status has ``model_id`` only once a model is loaded).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


def check(url: str, token_env: str | None, json_key: str | None, timeout_s: float) -> str | None:
    """None when healthy, else why not."""
    if token_env:
        token = os.environ.get(token_env, "")
        if token:
            sep = "&" if urllib.parse.urlsplit(url).query else "?"
            url = f"{url}{sep}token={urllib.parse.quote(token)}"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            body = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"unreachable: {exc}"
    if status != 200:
        return f"HTTP {status}"
    if json_key:
        try:
            value = json.loads(body).get(json_key)
        except (ValueError, AttributeError):
            return "the answer is not a JSON object"
        if not value:
            return f"{json_key} is not set yet"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="exit 0 when URL answers 200")
    parser.add_argument("url")
    parser.add_argument("--token-env", help="append ?token=<value of this variable>")
    parser.add_argument("--json-key", help="also require this non-empty key in the JSON body")
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args(argv)
    problem = check(args.url, args.token_env, args.json_key, args.timeout)
    if problem is not None:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
