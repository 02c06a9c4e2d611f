"""Every code example in the documentation runs, and shows what it says.

Each page of ``docs/*.md`` and ``README.md`` is one test. Its ```` ```python ````
blocks run in order in one namespace, so a later block can use what an
earlier one defined:

- a block whose lines start with ``>>>`` (or a ```` ```pycon ```` block) is a
  doctest: its output must match, with ``...`` standing for any text;
- any other ```` ```python ```` block is executed and must not raise (its
  ``assert`` statements are the checks);
- a ```` ```console ```` block whose commands are ``$ corecors ...`` runs the
  command and must print exactly the output shown.

A block that needs a live server is marked ``# docs: skip (why)`` on its
first line, or with the MyST comment ``% docs: skip (why)`` on the line
before the fence. A block that imports a framework that is not installed
(Django, Falcon, Bottle, Pyramid) is skipped, except for the packages the
``full`` tox env installs (all of these, and Flask, Werkzeug, gunicorn, mitmproxy): there a
missing one is a failure, never a silent skip.
"""

from __future__ import annotations

import ast
import doctest
import importlib.util
import io
import os
import re
import shlex
import sys
import textwrap
import types
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

from corecors.cli import main

ROOT = Path(__file__).resolve().parents[2]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]

# Installed by the `full` tox env (extra test-adapters): never skipped there.
REQUIRED_IN_FULL = frozenset(
    {"flask", "werkzeug", "gunicorn", "mitmproxy", "django", "falcon", "bottle", "pyramid",
     "starlette", "fastapi", "quart", "httpx"}
)

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_SKIP = re.compile(r"^\s*(?:#|%)\s*docs:\s*skip\b")


@dataclass(frozen=True)
class Block:
    page: str
    line: int  # of the first code line, 1-based
    lang: str  # "python", "pycon" or "console"
    code: str
    skip: str | None  # why it does not run

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def _language(info: str) -> str | None:
    words = info.replace("{code-block}", "").replace("{code}", "").split()
    lang = words[0].lower() if words else ""
    return {"python": "python", "py": "python", "python3": "python", "pycon": "pycon",
            "console": "console"}.get(lang)


def blocks(path: Path, root: Path = ROOT) -> list[Block]:
    """The code blocks of one Markdown page, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, lang = match.group("fence"), _language(match.group("info"))
        start = i + 1
        end = start
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        if lang is not None:
            body = textwrap.dedent("\n".join(lines[start:end])) + "\n"
            first = body.lstrip("\n").splitlines()[0] if body.strip() else ""
            marked = i > 0 and _SKIP.match(lines[i - 1]) is not None
            skip = None
            if marked:
                skip = lines[i - 1].split("skip", 1)[1].strip() or "marked"
            elif _SKIP.match(first):
                skip = first.split("skip", 1)[1].strip() or "marked"
            found.append(Block(path.relative_to(root).as_posix(), start + 1, lang, body, skip))
        i = end + 1
    return found


def _imports(code: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _missing(code: str) -> set[str]:
    return {name for name in _imports(code) if importlib.util.find_spec(name) is None}


def _is_doctest(block: Block) -> bool:
    return block.lang == "pycon" or any(
        line.lstrip().startswith(">>> ") for line in block.code.splitlines()
    )


def _run_doctest(block: Block, namespace: dict[str, object]) -> None:
    test = doctest.DocTestParser().get_doctest(
        block.code, namespace, block.where, block.page, block.line - 1
    )
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    report = io.StringIO()
    result = runner.run(test, out=report.write, clear_globs=False)
    namespace.update(test.globs)  # DocTest ran in a copy; later blocks build on it
    if result.failed:
        pytest.fail(f"doctest failed at {block.where}:\n{report.getvalue()}", pytrace=False)


def _run_console(block: Block, capsys: pytest.CaptureFixture[str]) -> None:
    expected: dict[str, list[str]] = {}
    order: list[str] = []
    command = None
    for line in block.code.splitlines():
        if line.startswith("$ "):
            command = line[2:]
            order.append(command)
            expected[command] = []
        elif command is not None:
            expected[command].append(line)
    for command in order:
        argv = shlex.split(command)
        if not argv or argv[0] != "corecors":
            continue
        capsys.readouterr()
        main(argv[1:])
        out = capsys.readouterr().out
        got = [line.rstrip() for line in out.rstrip("\n").splitlines()]
        want = [line.rstrip() for line in "\n".join(expected[command]).rstrip("\n").splitlines()]
        if got != want:
            pytest.fail(f"{block.where}: `{command}` printed\n" + "\n".join(got), pytrace=False)


def _django_project(tmp_path: Path) -> None:
    """A minimal project named ``mysite``, for the Django example's wsgi.py."""
    package = tmp_path / "mysite"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "urls.py").write_text("urlpatterns = []\n")
    (package / "settings.py").write_text(
        "SECRET_KEY = 'docs-example'\nROOT_URLCONF = 'mysite.urls'\n"
        "ALLOWED_HOSTS = ['*']\nUSE_TZ = True\n"
    )


# Pages whose examples are known not to run yet. Strict: once they run,
# this test fails until the entry is removed.
KNOWN_BROKEN: dict[str, str] = {}


def _page_param(page: Path) -> object:
    name = page.relative_to(ROOT).as_posix()
    marks = [pytest.mark.xfail(reason=KNOWN_BROKEN[name], strict=True)] \
        if name in KNOWN_BROKEN else []
    return pytest.param(page, id=name, marks=marks)


@pytest.mark.parametrize("page", [_page_param(p) for p in PAGES if blocks(p)])
def test_page_examples_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    found = blocks(page)
    monkeypatch.chdir(ROOT)  # examples name files such as examples/config.toml
    monkeypatch.setenv("COLUMNS", "88")  # console output wraps at a fixed width
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    _django_project(tmp_path)
    # The page's examples run as the body of one module, as a user's file would.
    module = types.ModuleType("docs_" + page.stem.replace("-", "_"))
    module.__file__ = str(tmp_path / f"{module.__name__}.py")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace: dict[str, object] = module.__dict__
    in_full = os.environ.get("TOX_ENV_NAME") == "full"
    ran = 0
    for block in found:
        if block.skip is not None:
            continue
        if block.lang == "console":
            _run_console(block, capsys)
            ran += 1
            continue
        missing = _missing(block.code)
        if missing:
            required = missing & REQUIRED_IN_FULL
            if required and in_full:
                pytest.fail(f"{block.where} needs {sorted(required)}, which the full tox "
                            "env installs", pytrace=False)
            continue
        if _is_doctest(block):
            _run_doctest(block, namespace)
        else:
            try:
                with warnings.catch_warnings():
                    # A framework's own deprecations are not the example's fault;
                    # corecors's and the example's still fail the test.
                    warnings.filterwarnings("ignore", category=DeprecationWarning,
                                            module=r"^(?!corecors|docs_)")
                    # Pyramid imports setuptools' pkg_resources, which warns.
                    warnings.filterwarnings("ignore", message="pkg_resources is deprecated",
                                            category=UserWarning)
                    exec(compile(block.code, block.where, "exec"), namespace)  # noqa: S102
            except Exception as exc:
                pytest.fail(f"{block.where} raised {type(exc).__name__}: {exc}", pytrace=False)
        ran += 1
    if not ran:
        pytest.skip("every example on this page needs something not installed")


def test_extraction_finds_marked_and_unmarked_blocks(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nx = 1\n```\n"
        "% docs: skip (serves forever)\n```python\nserve()\n```\n"
        "```python\n# docs: skip (a live server)\nserve()\n```\n"
        "````pycon\n>>> 1 + 1\n2\n````\n"
        "```sh\nls\n```\n",
    )
    found = blocks(page, tmp_path)
    assert [(b.lang, b.line, b.skip) for b in found] == [
        ("python", 2, None),
        ("python", 6, "(serves forever)"),
        ("python", 9, "(a live server)"),
        ("pycon", 13, None),
    ]
    assert _is_doctest(found[3])


def test_missing_modules_are_found_from_imports() -> None:
    assert _missing("import corecors\nfrom corecors import Config\n") == set()
    assert _missing("import surely_not_installed_xyz.sub\n") == {"surely_not_installed_xyz"}
