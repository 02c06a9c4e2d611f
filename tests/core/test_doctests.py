"""The examples in the public docstrings run as written."""

from __future__ import annotations

import doctest

import pytest

import corecors

PUBLIC = [
    pytest.param(corecors, id="corecors module"),
    pytest.param(corecors.Config, id="Config"),
    pytest.param(corecors.ConfigError, id="ConfigError"),
    pytest.param(corecors.Request, id="Request"),
    pytest.param(corecors.Decision, id="Decision"),
    pytest.param(corecors.decide, id="decide"),
    pytest.param(corecors.merge_vary, id="merge_vary"),
    pytest.param(corecors.Policy, id="Policy"),
    pytest.param(corecors.read_file, id="read_file"),
    pytest.param(corecors.read_text, id="read_text"),
]


@pytest.mark.parametrize("obj", PUBLIC)
def test_public_docstring_examples_run(obj: object) -> None:
    name = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
    finder = doctest.DocTestFinder()
    # The examples see what `from corecors import *` gives a user, nothing private.
    public_names = {n: getattr(corecors, n) for n in corecors.__all__}
    tests = [t for t in finder.find(obj, name, globs=public_names) if t.examples]
    assert tests, f"{name} has no example in its docstring"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0
    assert results.attempted > 0


def test_every_public_name_is_documented() -> None:
    for name in corecors.__all__:
        obj = getattr(corecors, name)
        if callable(obj):
            assert obj.__doc__, f"corecors.{name} has no docstring"
