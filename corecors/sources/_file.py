"""FileSource: a TOML, JSON or Gravitee policy file, reloaded when it changes."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from .._config import Config
from .._errors import ConfigError
from .._files import read_text
from .._policy import Policy
from ._source import Source

__all__ = ["FileSource"]


class FileSource(Source):
    """Keep *policy* equal to what the file at *path* describes.

    The file is checked every *interval* seconds (its modification time,
    size and inode; a polling thread, no file-system notifications). On a
    change it is read and validated; a valid file is put in force, and an
    invalid one (a syntax error, a file truncated while being written, an
    option that does not validate) is logged once, with every problem, and
    the policy in force stays. Rewriting a file with the same contents
    changes nothing.

    >>> from corecors import Config, Policy
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp(), "cors.toml")
    >>> _ = path.write_text('allow_origins = ["https://a.example"]')
    >>> policy = Policy(Config())
    >>> with FileSource(path, policy):
    ...     policy.config.allow_origins
    ('https://a.example',)
    """

    def __init__(
        self, path: str | os.PathLike[str], policy: Policy, *, interval: float = 1.0
    ) -> None:
        super().__init__(policy, interval=interval, name=f"policy file {os.fspath(path)}")
        self.path = Path(path)
        self._seen: tuple[int, int, int] | None = None  # (mtime_ns, size, inode)
        self._digest: bytes | None = None  # of the contents last read

    def _check(self) -> Config | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            # A file replaced by rename is missing for an instant; a file
            # that stays missing is reported once, and the policy stays.
            self._seen = None
            self.report(
                ("missing",),
                logging.WARNING,
                "%s does not exist; the policy in force stays",
                self.name,
            )
            return None
        seen = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if seen == self._seen:
            return None
        data = self.path.read_bytes()
        self._seen = seen
        digest = hashlib.sha256(data).digest()
        if digest == self._digest:
            return None
        self._digest = digest
        reading = read_text(data, str(self.path))
        try:
            config = Config.from_reading(reading)
        except ConfigError as exc:
            self.problems = exc.problems
            self.report(
                ("invalid", digest),
                logging.ERROR,
                "%s does not validate; the policy in force stays:\n%s",
                self.name,
                "\n".join(f"  {p.code} {p}" for p in exc.problems),
            )
            return None
        self.problems = ()
        self.report(("loaded", digest), logging.INFO, "%s put in force", self.name)
        return config
