"""Report-only trials: every request decided under two configs, one enforced."""

from __future__ import annotations

import logging
import threading

import pytest

from corecors import Config, ConfigError, Policy, Request, TrialCounts, decide, decide_cgi

A = "https://a.example"
B = "https://b.example"
ENFORCED = Config(allow_origins=[A], allow_methods=["PUT"])
TRIAL = Config(allow_origins=[B], allow_methods=["PUT"])
LOGGER = "corecors.report_only"


def preflight(origin: str) -> Request:
    return Request("OPTIONS", origin=origin, request_method="PUT")


def test_only_the_first_config_is_enforced() -> None:
    policy = Policy(ENFORCED, report_only=TRIAL)
    for request in (Request("GET", origin=A), Request("GET", origin=B), preflight(A),
                    preflight(B), Request("GET"), Request("GET", websocket=True)):
        assert decide(request, policy) == decide(request, ENFORCED)


def test_a_difference_is_logged_once_with_reason_codes_and_no_origin(
    caplog: pytest.LogCaptureFixture,
) -> None:
    policy = Policy(ENFORCED, report_only=TRIAL)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        decide(Request("GET", origin=A), policy)
        decide(preflight(B), policy)
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert lines == [
        "report-only: actual request: enforced allowed, trial refused(origin_not_allowed)",
        "report-only: preflight request: enforced refused(origin_not_allowed), trial allowed",
    ]
    assert not any("a.example" in line or "b.example" in line for line in lines)


def test_the_same_decision_is_counted_and_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    policy = Policy(ENFORCED, report_only=ENFORCED.replace())
    with caplog.at_level(logging.INFO, logger=LOGGER):
        decide(Request("GET", origin=A), policy)
        decide(Request("GET"), policy)
    assert not [r for r in caplog.records if r.name == LOGGER]
    assert policy.trial_counts == TrialCounts(decided=2)


def test_counts_say_which_way_the_verdicts_differ() -> None:
    policy = Policy(ENFORCED, report_only=TRIAL)
    decide(Request("GET", origin=A), policy)  # the trial would refuse
    decide(Request("GET", origin=B), policy)  # the trial would allow
    decide(Request("GET", origin="https://c.example"), policy)  # both refuse
    assert policy.trial_counts == TrialCounts(decided=3, differ=2, would_refuse=1, would_allow=1)


def test_same_verdict_with_other_headers_is_a_difference(caplog: pytest.LogCaptureFixture) -> None:
    policy = Policy(ENFORCED, report_only=ENFORCED.replace(max_age=5))
    with caplog.at_level(logging.INFO, logger=LOGGER):
        decide(preflight(A), policy)
    assert policy.trial_counts == TrialCounts(decided=1, differ=1)
    assert caplog.records[-1].getMessage() == (
        "report-only: preflight request: enforced allowed, trial allowed "
        "(same verdict, other headers)"
    )


def test_a_different_kind_names_both(caplog: pytest.LogCaptureFixture) -> None:
    # A disabled trial answers not_cors where the enforced one answers actual.
    policy = Policy(ENFORCED, report_only=Config(enabled=False))
    with caplog.at_level(logging.INFO, logger=LOGGER):
        decide(Request("GET", origin=A), policy)
    assert caplog.records[-1].getMessage() == (
        "report-only: actual/not_cors request: enforced allowed, trial refused(disabled)"
    )


def test_decide_cgi_runs_the_trial_too() -> None:
    policy = Policy(ENFORCED, report_only=TRIAL)
    environ = {"REQUEST_METHOD": "GET", "HTTP_ORIGIN": A}
    assert decide_cgi(environ, policy) == decide_cgi(environ, ENFORCED)
    assert policy.trial_counts.would_refuse == 1


def test_report_only_starts_and_stops_a_trial() -> None:
    policy = Policy(ENFORCED)
    assert policy.trial is None
    assert policy.trial_counts == TrialCounts()
    policy.report_only(TRIAL)
    assert policy.trial == TRIAL
    assert repr(policy) == f"Policy({ENFORCED!r}, report_only={TRIAL!r})"
    decide(Request("GET", origin=A), policy)
    policy.report_only(None)
    assert policy.trial is None
    assert repr(policy) == f"Policy({ENFORCED!r})"
    decide(Request("GET", origin=A), policy)
    # The last trial's counts stay readable after it ends.
    assert policy.trial_counts == TrialCounts(decided=1, differ=1, would_refuse=1)
    # A new trial counts from zero.
    policy.report_only(TRIAL)
    assert policy.trial_counts == TrialCounts()


def test_reconfigure_keeps_the_trial_running() -> None:
    policy = Policy(ENFORCED, report_only=TRIAL)
    policy.reconfigure(TRIAL)
    assert decide(Request("GET", origin=B), policy).allowed
    assert policy.trial is TRIAL
    assert policy.trial_counts == TrialCounts(decided=1)


def test_a_trial_that_is_not_a_config_raises_and_changes_nothing() -> None:
    policy = Policy(ENFORCED, report_only=TRIAL)
    with pytest.raises(ConfigError) as raised:
        policy.report_only({"allow_origins": [B]})  # type: ignore[arg-type]
    assert raised.value.problems[0].code == "CC004"
    assert raised.value.problems[0].option == "report_only"
    assert policy.trial is TRIAL


def test_a_disabled_config_without_a_trial_is_still_untouched() -> None:
    policy = Policy(Config(enabled=False))
    assert decide(Request("GET", origin=A), policy).action == "pass"


def test_counts_are_not_lost_across_threads() -> None:
    policy = Policy(ENFORCED, report_only=TRIAL)
    request = Request("GET", origin=A)
    logging.getLogger(LOGGER).setLevel(logging.WARNING)

    def work() -> None:
        for _ in range(2000):
            decide(request, policy)

    try:
        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        logging.getLogger(LOGGER).setLevel(logging.NOTSET)
    assert policy.trial_counts == TrialCounts(8000, 8000, 8000, 0)


def test_a_trial_keeps_the_enforced_websocket_check_and_reports_a_lifted_one() -> None:
    checked = Config(allow_origins=[A], check_websocket_origin=True)
    policy = Policy(checked, report_only=Config(allow_origins=[A]))
    refused = Request("GET", origin=B, websocket=True)
    decision = decide(refused, policy)
    assert decision == decide(refused, checked)
    assert decision.status == 403
    assert policy.trial_counts.differ == 1  # the trial would let the handshake through
    # The other way round: the trial would refuse what is let through today.
    trying = Policy(Config(allow_origins=[A]), report_only=checked)
    assert decide(refused, trying).action == "pass"
    assert trying.trial_counts.differ == 1
    allowed = Request("GET", origin=A, websocket=True)
    assert decide(allowed, trying).action == "pass"
    assert trying.trial_counts.differ == 1  # both let an allowed origin through
