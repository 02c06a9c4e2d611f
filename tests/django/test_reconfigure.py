"""corecors.adapters.django.reconfigure: the site's policy swapped without a restart."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from corecors import Config, ConfigError, Policy
from corecors.adapters.django import reconfigure

APP = "https://app.example.com"
OTHER = "https://other.example.com"


def acao(origin: str) -> str | None:
    response = Client().get("/", headers={"Origin": origin})
    return response.headers.get("Access-Control-Allow-Origin")


def test_reconfigure_swaps_the_site_policy_until_a_setting_changes() -> None:
    with override_settings(CORECORS_EXPOSE_HEADERS=[]):  # read the settings afresh
        assert acao(APP) == APP
        reconfigure(Config(allow_origins=[OTHER]))
        assert acao(APP) is None
        assert acao(OTHER) == OTHER
    assert acao(APP) == APP  # the settings changed back: read again


def test_a_policy_setting_is_swapped_in_place() -> None:
    policy = Policy(Config(allow_origins=[APP]))
    with override_settings(CORECORS_CONFIG=policy):
        from django.conf import settings

        for key in [k for k in dir(settings) if k.startswith("CORECORS_")
                    and k not in ("CORECORS_CONFIG", "CORECORS_POLICIES")]:
            delattr(settings, key)
        assert acao(APP) == APP
        reconfigure(Config(allow_origins=[OTHER]))
        assert policy.config.allow_origins == (OTHER,)
        assert acao(OTHER) == OTHER


def test_a_bad_reconfigure_raises_and_keeps_the_policy() -> None:
    with override_settings(CORECORS_EXPOSE_HEADERS=[]):
        with pytest.raises(ConfigError):
            reconfigure({"allow_origins": [OTHER]})  # type: ignore[arg-type]
        assert acao(APP) == APP
