"""The Django middleware answers as the WSGI middleware does.

The generated requests, configs and upstream of
tests/adapters/test_equivalence.py, through Django's test client with each
config as ``CORECORS_CONFIG``, against the WSGI middleware in front of the
same upstream: the same status, ``Access-Control-*`` headers (names, values,
order) and ``Vary``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from werkzeug.test import Client as WerkzeugClient

from corecors import Config
from corecors.adapters.wsgi import CORSMiddleware

SOURCE = Path(__file__).resolve().parents[1] / "adapters" / "test_equivalence.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corecors_equivalence_cases", SOURCE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cases = _load()


@pytest.fixture
def config_in_settings(request: pytest.FixtureRequest) -> Iterator[Config]:
    config: Config = request.param
    with override_settings(CORECORS_CONFIG=config):
        for key in [k for k in dir(settings) if k.startswith("CORECORS_")]:
            if key not in {"CORECORS_CONFIG", "CORECORS_URLS_REGEX", "CORECORS_POLICIES"}:
                delattr(settings, key)
        yield config


def through_django(client: Client, method: str, headers: list[tuple[str, str]]) -> Any:
    # Repeated names arrive joined, as a server joins repeated lines.
    joined: dict[str, str] = {}
    for name, value in headers:
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    response = client.generic(method, "/items/1", headers=joined)
    return cases.summary(response.status_code, list(response.headers.items()))


@pytest.mark.parametrize("config_in_settings", cases.CONFIGS, indirect=True)
def test_django_answers_as_the_wsgi_middleware(config_in_settings: Config) -> None:
    wsgi = WerkzeugClient(CORSMiddleware(cases.upstream, config_in_settings))
    django = Client()

    @hypothesis_settings(
        max_examples=120,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(request=cases.requests())
    def check(request: tuple[str, list[tuple[str, str]]]) -> None:
        method, headers = request
        assert through_django(django, method, headers) == cases.through_client(
            wsgi, method, headers
        )

    check()
