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
