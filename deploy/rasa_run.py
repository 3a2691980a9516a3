"""`rasa` with `--auth-token` taken from RASA_AUTH_TOKEN inside the process (container entry).

The same as bot.launcher's RASA_TOKEN_SHIM, for the Rasa image (which has no `bot` package): the
token never appears on a command line (`ps`, /proc/<pid>/cmdline) and the variable is removed
from the environment before Rasa runs. All arguments go to `rasa` unchanged:

    python /app/deploy/rasa_run.py run --enable-api -p 5005 --endpoints endpoints.scale.yml ...
"""

from __future__ import annotations

import os
import sys


def rasa_argv(argv: list[str], token: str) -> list[str]:
    """``rasa`` followed by ``argv``, and ``--auth-token TOKEN`` when a token is set."""
    return ["rasa", *argv, *(["--auth-token", token] if token else [])]


def main() -> None:
    token = os.environ.pop("RASA_AUTH_TOKEN", "")
    sys.argv = rasa_argv(sys.argv[1:], token)
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
