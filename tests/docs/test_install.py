"""Every install command in the README and the docs works as written.

corecors is not on PyPI yet, so ``pip install corecors`` fails on a fresh
machine. The pages may install it only from a clone (``.``, ``'.[flask]'``,
``./corecors``), from a wheel built there (``dist/corecors-*.whl``), or name
``corecors`` from PyPI in a sentence or comment that says "after the first
release". Each command is ``python3 -m pip`` (a fresh machine may have no
``pip`` script), extras are quoted (zsh would read ``.[flask]`` as a glob)
and name extras that pyproject.toml defines; anything else installed must be
a package listed here, so that a new one is a conscious addition.

The last test builds the wheel with ``python -m build``, installs it in a
fresh virtual environment and runs the ``corecors`` command from it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "DEVELOPERS.md", *sorted((ROOT / "docs").glob("*.md"))]
EXTRAS = frozenset(
    tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
)
#: Packages from PyPI the pages may install beside corecors.
THIRD_PARTY = frozenset(
    {"tox", "build", "flask", "flask-cors", "werkzeug", "wsgicors", "starlette", "gunicorn",
     "matplotlib"}
)
LATER = "after the first release"

#: ``pip install`` up to the end of the command: a line end, a backtick
#: (inline code), ``&&``, ``;``, ``|`` or a ``#`` comment.
_COMMAND = re.compile(
    r"(?P<prefix>(?:[\w./-]+[ \t]+-m[ \t]+)?[\w./-]*pip3?)[ \t]+install\b(?P<args>[^`\n&;|#]*)"
)
#: Inline code: single backticks, never a fence's.
_INLINE = re.compile(r"(?<!`)`(?!`)[^`]+(?<!`)`(?!`)")
_FROM_CLONE = re.compile(r"\.|\./corecors")
_WHEEL = re.compile(r"dist/corecors-\*\.whl")
_WITH_EXTRAS = re.compile(r"(?P<base>\.|\./corecors|corecors)\[(?P<extras>[a-z0-9,-]+)\]")


@dataclass(frozen=True)
class Install:
    where: str
    prefix: str
    raw: str  # the arguments as written
    context: str  # the command's line, the two before it and the one after

    def targets(self) -> list[str]:
        return [a for a in shlex.split(self.raw) if not a.startswith("-")]


def _joined(text: str) -> str:
    # Inline code may wrap across lines in prose: join such a span (one
    # character for one, so offsets stay those of the page).
    return _INLINE.sub(lambda m: m.group(0).replace("\n", " "), text)


def installs() -> list[Install]:
    found = []
    for page in PAGES:
        text = page.read_text()
        lines = text.splitlines()
        for match in _COMMAND.finditer(_joined(text)):
            number = text.count("\n", 0, match.start()) + 1
            context = "\n".join(lines[max(0, number - 3) : number + 1])
            where = f"{page.relative_to(ROOT)}:{number}"
            found.append(Install(where, match["prefix"], match["args"].strip(), context))
    return found


INSTALLS = installs()


def test_the_pages_have_install_commands_to_check() -> None:
    # Not vacuous: the quickstart's and README's commands are found.
    pages = {i.where.partition(":")[0] for i in INSTALLS}
    assert {"README.md", "docs/quickstart.md", "docs/flask.md"} <= pages
    assert len(INSTALLS) >= 15


@pytest.mark.parametrize("install", INSTALLS, ids=[i.where for i in INSTALLS])
def test_install_command_works_on_a_fresh_machine(install: Install) -> None:
    assert install.prefix == "python3 -m pip", (
        f"{install.where}: write `python3 -m pip install`, not `{install.prefix} install`"
    )
    targets = install.targets()
    assert targets, f"{install.where}: nothing to install in {install.raw!r}"
    for target in targets:
        extras = _WITH_EXTRAS.fullmatch(target)
        base = extras["base"] if extras else target
        if extras:
            unknown = set(extras["extras"].split(",")) - EXTRAS
            assert not unknown, f"{install.where}: no such extra {sorted(unknown)}"
            assert f"'{target}'" in install.raw or f'"{target}"' in install.raw, (
                f"{install.where}: quote {target!r}, or zsh reads the brackets as a glob"
            )
        if _FROM_CLONE.fullmatch(base) or _WHEEL.fullmatch(target):
            continue
        if base == "corecors":
            assert LATER in install.context.lower(), (
                f"{install.where}: corecors is not on PyPI yet; install it from a clone or a "
                f"wheel, or say that {install.raw!r} is for {LATER}"
            )
            continue
        assert target.lower() in THIRD_PARTY, (
            f"{install.where}: {target!r} is neither corecors from a clone or wheel nor a "
            "listed package (add it to THIRD_PARTY if it is on PyPI)"
        )


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        pytest.param("python3 -m pip install corecors", "not on PyPI", id="corecors from PyPI"),
        pytest.param("pip install .", "python3 -m pip", id="bare pip"),
        pytest.param("python3 -m pip install .[flask]", "quote", id="unquoted extras"),
        pytest.param("python3 -m pip install '.[flsk]'", "no such extra", id="unknown extra"),
        pytest.param("python3 -m pip install requests", "listed package", id="unlisted package"),
    ],
)
def test_the_check_refuses_commands_that_fail(line: str, problem: str) -> None:
    (match,) = _COMMAND.finditer(line)
    install = Install("example", match["prefix"], match["args"].strip(), line)
    with pytest.raises(AssertionError, match=problem):
        test_install_command_works_on_a_fresh_machine(install)


# -- the wheel, built and installed in a fresh virtual environment --------------------


def _run(*command: str | Path, cwd: Path, timeout: float = 120) -> str:
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _needs_build() -> None:
    if importlib.util.find_spec("build") is None:
        if os.environ.get("CI"):
            pytest.fail("the build package is not installed, and CI is set: this test must run")
        pytest.skip("needs the build package (the test extra installs it)")


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A copy of the checkout's files, as a fresh clone has them: building
    there leaves the real checkout untouched."""
    copy = tmp_path / "corecors"
    shutil.copytree(
        ROOT, copy, symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".tox", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__",
            ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "_build",
        ),
    )
    return copy


def test_the_built_wheel_installs_and_runs_in_a_fresh_venv(tmp_path: Path, clone: Path) -> None:
    """``python3 -m build`` in a clone, ``pip install dist/corecors-*.whl`` in
    a new venv, then the installed ``corecors`` command on small config files."""
    _needs_build()
    _run(sys.executable, "-m", "build", "--wheel", cwd=clone)
    (wheel,) = (clone / "dist").glob("corecors-*.whl")

    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    _run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel, cwd=tmp_path)

    # From tmp_path, far from any checkout: the installed copy is imported.
    where = _run(
        python, "-c",
        "import corecors, corecors.adapters.wsgi as w; print(corecors.__file__); print(w.__file__)",
        cwd=tmp_path,
    ).split()
    assert all(Path(p).is_relative_to(env) for p in where), where
    version = _run(env / "bin" / "corecors", "--version", cwd=tmp_path)
    assert version.strip() == f"corecors {_version()}"

    config = tmp_path / "cors.toml"
    config.write_text('allow_origins = ["https://app.example.com"]\nallow_methods = ["PUT"]\n')
    _run(env / "bin" / "corecors", "lint", config, cwd=tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text('allow_origins = "*"\nallow_credentials = true\n')
    done = subprocess.run(
        [str(env / "bin" / "corecors"), "lint", str(bad)], cwd=tmp_path, capture_output=True,
        text=True, timeout=60,
    )
    assert done.returncode != 0
    assert "CC008" in done.stdout + done.stderr


def test_the_readme_try_it_block_runs_as_written(clone: Path) -> None:
    """The README's first commands, run as written by bash in a clone: a
    fresh venv, ``pip install .`` and ``corecors explain``."""
    _needs_build()  # the same PyPI access as the wheel test: setuptools, publicsuffixlist
    readme = (ROOT / "README.md").read_text()
    section = readme.partition("## Try it")[2]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    script = block.group(1)
    assert "python3 -m pip install ." in script
    bash = shutil.which("bash")
    assert bash is not None
    out = _run(bash, "-e", "-c", script, cwd=clone, timeout=180)
    assert "preflight" in out.lower()
    assert (clone / ".venv" / "bin" / "corecors").exists()


def _version() -> str:
    text = (ROOT / "corecors" / "__init__.py").read_text()
    found = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    assert found is not None
    return found.group(1)
