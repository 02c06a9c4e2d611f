"""Sources: keep a :class:`~corecors.Policy` current from a file or a SQL table.

Each source reads in its own background thread (or asyncio task), builds
and validates the new Config there, and swaps it in with
``policy.reconfigure``; requests never wait for it and never see a config
that did not validate. See :doc:`/live-policies`.

- :class:`FileSource`: a TOML, JSON or Gravitee policy file, reloaded on change.
- :class:`SQLSource`: tenant origins in a SQL table (DB-API), merged into a
  base Config; PostgreSQL LISTEN/NOTIFY with :func:`postgres_notify_sql`.
- :func:`lint_rows` / :func:`merge_rows`: what a table's rows would give.
"""

from ._file import FileSource
from ._source import Source
from ._sql import SQLSource, lint_rows, merge_rows, postgres_notify_sql

__all__ = ["FileSource", "SQLSource", "Source", "lint_rows", "merge_rows", "postgres_notify_sql"]
