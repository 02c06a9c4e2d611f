"""Path-scoped policies from flat settings: corecors.read_scoped (Django's reader)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from corecors import Config, Policy, read_scoped

APP = "https://app.example.com"


def problems(found: dict[str, Any], **kw: Any) -> set[tuple[str, str]]:
    return {(p.code, p.where) for p in read_scoped(found, **kw)[1]}


def test_the_site_policy_from_options_and_where_it_applies() -> None:
    scopes, found = read_scoped(
        {
            "CORECORS_ALLOW_ORIGINS": [APP],
            "CORECORS_URLS_REGEX": re.compile(r"/api/.*"),
            "CORECORS_POLICIES": [
                (r"/api/public/.*", {"allow_origins": "*", "max_age": -1}),
                (r"/api/partner/.*", Config(allow_origins=["https://partner.example"])),
            ],
        }
    )
    assert scopes is not None
    assert len(found) == 1  # the public scope's '*' gets its advice
    assert found[0].code == "CC101"
    assert found[0].where == "CORECORS_POLICIES[0].allow_origins[0]"
    assert scopes.policy_for("/api/users") is scopes.site
    assert scopes.policy_for("/admin/") is None
    public = scopes.policy_for("/api/public/x")
    assert isinstance(public, Config)
    assert public.allow_origins == ("*",)
    partner = scopes.policy_for("/api/partner/x")
    assert isinstance(partner, Config)
    assert partner.allow_origins == ("https://partner.example",)


def test_a_config_or_policy_setting_is_the_site_policy() -> None:
    policy = Policy(Config(allow_origins=["https://*.github.io"]))
    scopes, found = read_scoped({"CORECORS_CONFIG": policy})
    assert scopes is not None
    assert scopes.site is policy
    assert [(p.code, p.where) for p in found] == [("CC116", "CORECORS_CONFIG.allow_origins[0]")]
    assert scopes.policy_for("/anything") is policy


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        pytest.param({"CORECORS_CONFIG": Config(), "CORECORS_MAX_AGE": 5},
                     ("CC008", "CORECORS_CONFIG"), id="config and options"),
        pytest.param({"CORECORS_CONFIG": {"allow_origins": [APP]}},
                     ("CC004", "CORECORS_CONFIG"), id="config of the wrong type"),
        pytest.param({"CORECORS_URLS_REGEX": 5}, ("CC004", "CORECORS_URLS_REGEX"),
                     id="urls regex not a string"),
        pytest.param({"CORECORS_URLS_REGEX": "("}, ("CC004", "CORECORS_URLS_REGEX"),
                     id="urls regex invalid"),
        pytest.param({"CORECORS_POLICIES": "x"}, ("CC004", "CORECORS_POLICIES"),
                     id="policies not a list"),
        pytest.param({"CORECORS_POLICIES": ["not a pair"]}, ("CC004", "CORECORS_POLICIES[0]"),
                     id="entry not a pair"),
        pytest.param({"CORECORS_POLICIES": [("(", Config())]},
                     ("CC004", "CORECORS_POLICIES[0]"), id="entry regex invalid"),
        pytest.param({"CORECORS_POLICIES": [(r"/a/.*", {"allow_origins": [APP + "/"]})]},
                     ("CC005", "CORECORS_POLICIES[0].allow_origins[0]"), id="entry option error"),
        pytest.param({"CORECORS_POLICIES": [(r"/a/.*", "not a policy")]},
                     ("CC004", "CORECORS_POLICIES[0]"), id="entry policy of the wrong type"),
        pytest.param({"CORECORS_MAX_AGE": "ten"}, ("CC004", "CORECORS_MAX_AGE"),
                     id="site option error"),
    ],
)
def test_every_settings_problem_is_named_by_its_setting(
    found: dict[str, Any], expected: tuple[str, str]
) -> None:
    scopes, listed = read_scoped(found)
    assert scopes is None
    assert expected in {(p.code, p.where) for p in listed}


def test_peers_settings_are_warned_about() -> None:
    found = problems({}, peers={"CORS_ALLOWED_ORIGINS": [APP]})
    assert ("CC117", "CORS_ALLOWED_ORIGINS") in found


def test_another_prefix() -> None:
    scopes, _ = read_scoped({"MYAPP_ALLOW_ORIGINS": [APP]}, "MYAPP_")
    assert scopes is not None
    assert isinstance(scopes.site, Config)
    assert scopes.site.allow_origins == (APP,)


def test_middleware_before_the_cors_middleware_is_warned_about() -> None:
    from corecors import middleware_order

    ours = "corecors.adapters.django.CorsMiddleware"
    (problem,) = middleware_order(["django.middleware.common.CommonMiddleware", ours], ours)
    assert (problem.code, problem.severity, problem.where) == ("CC120", "warning", "MIDDLEWARE[1]")
    assert problem.value == ["django.middleware.common.CommonMiddleware"]
    assert ours in problem.fix
    assert middleware_order([ours, "x.Other"], ours) == []
    assert middleware_order(["x.Other"], ours) == []  # not installed: nothing to say
    assert middleware_order("not a list", ours) == []
    assert middleware_order(None, ours) == []
