"""What `pip install .` must give: the core and the WSGI adapter, no framework."""

from __future__ import annotations

import importlib
import os

import corecors


def test_public_names_are_exported() -> None:
    for name in ("Config", "ConfigError", "Request", "Decision", "decide", "REASONS"):
        assert name in corecors.__all__
        assert hasattr(corecors, name)


def test_config_error_is_a_value_error() -> None:
    assert issubclass(corecors.ConfigError, ValueError)


def test_wsgi_adapter_imports_without_any_web_framework() -> None:
    module = importlib.import_module("corecors.adapters.wsgi")
    assert callable(module.CORSMiddleware)


def test_asgi_adapter_imports_without_any_web_framework() -> None:
    module = importlib.import_module("corecors.adapters.asgi")
    assert callable(module.CORSMiddleware)


def test_package_is_typed() -> None:
    assert os.path.exists(os.path.join(os.path.dirname(corecors.__file__), "py.typed"))


def test_one_identity_per_class_from_the_checkout_root() -> None:
    # Nothing adds the checkout's root to corecors.__path__: no second copy
    # of the package (corecors.corecors), no tests or bench under corecors.
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[2]
    script = (
        "import importlib.util, corecors\n"
        "print([m for m in ('corecors.corecors', 'corecors.tests', 'corecors.bench')"
        " if importlib.util.find_spec(m) is not None])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "[]"
    import corecors

    assert all(pathlib.Path(p).name == "corecors" for p in corecors.__path__)
