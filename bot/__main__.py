"""``python -m bot``: the command line of bot.cli."""

import os

from bot.cli import main
from bot.config import REPO_ROOT, read_dotenv

if __name__ == "__main__":
    # The secrets `make run` generated into .env (WEB_IDENTITY_SECRET, LINK_SECRET, ...) are the
    # gateway's: commands that sign for it read the same file; the environment wins.
    read_dotenv(REPO_ROOT / ".env", os.environ)
    raise SystemExit(main())
