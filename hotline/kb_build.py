"""Build and cache the knowledge-base index in a child process, for the controller.

``python -m hotline.kb_build CACHE_DIR YYYY-MM-DD``, with the database URL in the environment
(``HOTLINE_KB_DATABASE``; not on the command line: a PostgreSQL URL may hold a password), reads
the provisions in force on the day, builds the index and leaves it in CACHE_DIR for the
controller to load. Building reads every provision at once (hundreds of MB for the full
corpus); in a child process that memory is returned when it exits, and the controller only
holds the index.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from hotline.knowledge import KnowledgeBase
from hotline.storage import Store

log = logging.getLogger("hotline.kb_build")

BUILD_TIMEOUT_S = 600.0
DATABASE_VARIABLE = "HOTLINE_KB_DATABASE"


class ChildBuilder:
    def __init__(self, database_url: str, cache_dir: Path) -> None:
        self.database_url = database_url
        self.cache_dir = cache_dir

    def __call__(self, today: date) -> None:
        command = [sys.executable, "-m", "hotline.kb_build", str(self.cache_dir), today.isoformat()]
        env = {**os.environ, DATABASE_VARIABLE: self.database_url}
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False,
                env=env,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("knowledge base: the index builder failed (%s); building here", exc)
            return
        if done.returncode != 0:
            log.warning("knowledge base: the index builder failed (exit %d): %s; building here",
                        done.returncode, done.stderr.strip()[-500:])  # fmt: skip


def main(argv: list[str]) -> int:
    url = os.environ.get(DATABASE_VARIABLE)
    if len(argv) != 2 or not url:
        print(__doc__, file=sys.stderr)  # noqa: T201
        return 2
    cache_dir, day = Path(argv[0]), date.fromisoformat(argv[1])
    store = Store.open(url)
    try:
        KnowledgeBase(store, cache_dir, lambda: day).refresh()
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(main(sys.argv[1:]))
