"""corecors's settings problems as Django system check messages."""

from __future__ import annotations

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from corecors import Config
from corecors.adapters.django import check_settings

# The test site's public scope allows "*" on purpose; the core's advice says so.
PUBLIC_SCOPE = ("corecors.W101", "CORECORS_POLICIES[0].allow_origins")


def by_id() -> dict[str, checks.CheckMessage]:
    return {m.id: m for m in check_settings()}


def errors() -> list[checks.CheckMessage]:
    return [m for m in check_settings() if isinstance(m, checks.Error)]


def test_the_test_settings_have_only_the_public_scopes_advice() -> None:
    (message,) = check_settings()
    assert (message.id, message.obj) == PUBLIC_SCOPE
    assert isinstance(message, checks.Warning)
    assert "every website" in message.msg


def test_an_error_becomes_a_check_error_with_the_fix_as_hint() -> None:
    with override_settings(CORECORS_ALLOW_ORIGINS=["https://app.example.com/"]):
        messages = errors()
    assert len(messages) == 1
    (message,) = messages
    assert message.id == "corecors.E005"
    assert message.obj == "CORECORS_ALLOW_ORIGINS"
    assert "https://app.example.com/" in message.msg
    assert message.hint


def test_every_problem_is_listed_at_once() -> None:
    with override_settings(
        CORECORS_ALLOW_ORIGINS=["https://*.r2.dev"],
        CORECORS_MAX_AGE="ten",
        CORECORS_ALLOW_ORIGIN_REGEXES=[r"https://.*"],
        CORECORS_ALOW_METHODS=["GET"],
    ):
        ids = sorted(m.id for m in errors())
    assert ids == ["corecors.E003", "corecors.E004", "corecors.E006", "corecors.E009"]


def test_a_warning_becomes_a_check_warning() -> None:
    with override_settings(
        CORECORS_ALLOW_ORIGINS=["https://*.github.io"], CORECORS_ALLOW_CREDENTIALS=False
    ):
        messages = by_id()
    assert isinstance(messages["corecors.W116"], checks.Warning)
    assert messages["corecors.W116"].obj == "CORECORS_ALLOW_ORIGINS"


def test_scope_settings_are_checked() -> None:
    with override_settings(
        CORECORS_URLS_REGEX="(",
        CORECORS_POLICIES=[
            ("/a/.*", {"allow_origins": ["https://a.example/"]}),
            ("/b/.*", {"allow_orgins": ["https://a.example"]}),
            ("/c/.*", "not a policy"),
            "not a pair",
        ],
    ):
        found = {(m.id, m.obj) for m in check_settings()}
    assert found == {
        # the policy with a misspelt option allows no origin: the advice says so
        ("corecors.W109", "CORECORS_POLICIES[1].allow_origins"),
        ("corecors.E004", "CORECORS_URLS_REGEX"),
        ("corecors.E005", "CORECORS_POLICIES[0].allow_origins"),
        ("corecors.E003", "CORECORS_POLICIES[1].allow_orgins"),
        ("corecors.E004", "CORECORS_POLICIES[2]"),
        ("corecors.E004", "CORECORS_POLICIES[3]"),
    }


def without_options() -> None:
    """Inside override_settings: drop the test settings' CORECORS_* options."""
    from django.conf import settings

    for key in [k for k in dir(settings) if k.startswith("CORECORS_") and k != "CORECORS_CONFIG"]:
        delattr(settings, key)


def test_config_setting_together_with_options_is_refused() -> None:
    with override_settings(CORECORS_CONFIG=Config()):
        found = {(m.id, m.obj) for m in check_settings()}
    assert found == {("corecors.E008", "CORECORS_CONFIG"), PUBLIC_SCOPE}


def test_config_setting_of_the_wrong_type() -> None:
    with override_settings(CORECORS_CONFIG={"allow_origins": ["https://a.example"]}):
        without_options()
        found = {(m.id, m.obj) for m in check_settings()}
    assert found == {("corecors.E004", "CORECORS_CONFIG")}


def test_config_setting_warnings_are_named_by_the_setting() -> None:
    with override_settings(CORECORS_CONFIG=Config(allow_origins=["https://*.github.io"])):
        without_options()
        found = {(m.id, m.obj) for m in check_settings()}
    assert found == {("corecors.W116", "CORECORS_CONFIG.allow_origins")}


def test_manage_py_check_reports_the_errors() -> None:
    with (
        override_settings(CORECORS_ALLOW_ORIGINS=["https://app.example.com/"]),
        pytest.raises(SystemCheckError, match=r"corecors\.E005"),
    ):
        call_command("check")
    call_command("check")


def test_leftover_django_cors_headers_settings_are_pointed_out() -> None:
    with override_settings(CORS_ALLOWED_ORIGINS=["https://app.example.com"]):
        without_options()
        messages = by_id()
    assert messages["corecors.W117"].obj == "CORS_ALLOWED_ORIGINS"
    assert "django-cors-headers" in messages["corecors.W117"].hint


def test_a_middleware_before_corecors_is_a_warning() -> None:
    from django.conf import settings

    moved = [m for m in settings.MIDDLEWARE if "CorsMiddleware" not in m]
    moved.insert(1, "corecors.adapters.django.CorsMiddleware")
    with override_settings(MIDDLEWARE=moved):
        found = by_id()
    assert "corecors.W120" in found
    assert found["corecors.W120"].obj == "MIDDLEWARE"
    assert "CommonMiddleware" in found["corecors.W120"].msg
    assert "corecors.W120" not in by_id()  # first, as the test site has it
