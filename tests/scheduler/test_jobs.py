"""Scheduled jobs: fire times in Europe/Paris, one run per period, retries and catch-up."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import timeutils
from app.extensions import db
from app.jobs import JobRun, JobRunStatus, JobSpec, catch_up, last_fire_time, period_key, run_job
from app.scheduler import build_scheduler, find_spec, job_specs
from app.timeutils import PARIS

UTC = timezone.utc
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    """A job function that counts its calls and can fail a given number of times first."""

    def __init__(self, failures: int = 0, duration: float = 0.0) -> None:
        self.failures = failures
        self.duration = duration
        self.calls: list[datetime] = []
        self.lock = threading.Lock()

    def __call__(self, fire_time: datetime) -> str:
        with self.lock:
            self.calls.append(fire_time)
            call_number = len(self.calls)
        time.sleep(self.duration)
        if call_number <= self.failures:
            raise RuntimeError(f"planned failure {call_number}")
        return f"call {call_number}"


def daily_spec(function, hour=6, minute=0, **fields) -> JobSpec:
    return JobSpec(name="test_daily", function=function, description="test", hour=hour, minute=minute, **fields)


def runs_of(name: str) -> list[JobRun]:
    db.session.expire_all()
    return list(db.session.scalars(select(JobRun).where(JobRun.job_name == name).order_by(JobRun.id)))


# --- Fire times -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "after, expected_utc",
    [
        # Winter time (UTC+1) the day before the March change, summer time (UTC+2) on it.
        (datetime(2027, 3, 27, 0, 0, tzinfo=PARIS), datetime(2027, 3, 27, 5, 0, tzinfo=UTC)),
        (datetime(2027, 3, 28, 0, 0, tzinfo=PARIS), datetime(2027, 3, 28, 4, 0, tzinfo=UTC)),
        (datetime(2027, 3, 29, 0, 0, tzinfo=PARIS), datetime(2027, 3, 29, 4, 0, tzinfo=UTC)),
        # Summer time the day before the October change, winter time on it.
        (datetime(2027, 10, 30, 0, 0, tzinfo=PARIS), datetime(2027, 10, 30, 4, 0, tzinfo=UTC)),
        (datetime(2027, 10, 31, 0, 0, tzinfo=PARIS), datetime(2027, 10, 31, 5, 0, tzinfo=UTC)),
        (datetime(2027, 11, 1, 0, 0, tzinfo=PARIS), datetime(2027, 11, 1, 5, 0, tzinfo=UTC)),
    ],
)
def test_six_oclock_across_clock_changes(after, expected_utc):
    trigger = find_spec("remind_approvals").trigger()

    fire = trigger.get_next_fire_time(None, after)

    assert fire.astimezone(UTC) == expected_utc
    assert fire.astimezone(PARIS).hour == 6


def test_scheduler_uses_paris_triggers(app):
    scheduler = build_scheduler(app)

    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {spec.name for spec in job_specs()}
    assert str(jobs["remind_approvals"].trigger.timezone) == "Europe/Paris"
    assert str(jobs["prepare_renewals"].trigger) == "cron[hour='6', minute='30']"
    assert str(jobs["close_campaigns"].trigger) == "cron[hour='0', minute='15']"
    assert str(jobs["send_outbox"].trigger) == "cron[hour='*', minute='*']"


def test_last_fire_time_and_period_key():
    spec = daily_spec(Recorder())

    before_six = last_fire_time(spec, datetime(2027, 3, 28, 5, 59, tzinfo=PARIS))
    after_six = last_fire_time(spec, datetime(2027, 3, 28, 6, 0, tzinfo=PARIS))

    assert period_key(before_six) == "2027-03-27T06:00+01:00"
    assert period_key(after_six) == "2027-03-28T06:00+02:00"
    assert after_six == datetime(2027, 3, 28, 4, 0, tzinfo=UTC)


# --- One run per period ---------------------------------------------------------------------


def test_period_runs_once(app):
    recorder = Recorder()
    spec = daily_spec(recorder)
    fire = datetime(2027, 6, 1, 4, 0, tzinfo=UTC)

    first = run_job(spec, fire)
    second = run_job(spec, fire)

    assert first.status == JobRunStatus.SUCCEEDED.value
    assert first.summary == "call 1"
    assert second is None
    assert len(recorder.calls) == 1
    assert run_job(spec, fire + timedelta(days=1)).status == JobRunStatus.SUCCEEDED.value
    assert len(recorder.calls) == 2


def test_failure_retried_then_succeeds(app):
    recorder = Recorder(failures=1)
    delays = []
    spec = daily_spec(recorder, max_attempts=3, retry_delays=(30.0, 120.0))

    run = run_job(spec, datetime(2027, 6, 1, 4, 0, tzinfo=UTC), sleep=delays.append)

    assert run.status == JobRunStatus.SUCCEEDED.value
    assert run.attempts == 2
    assert run.error == ""
    assert delays == [30.0]


def test_failure_bounded_by_max_attempts(app, caplog):
    recorder = Recorder(failures=99)
    delays = []
    spec = daily_spec(recorder, max_attempts=3, retry_delays=(30.0, 120.0))
    fire = datetime(2027, 6, 1, 4, 0, tzinfo=UTC)

    run = run_job(spec, fire, sleep=delays.append)

    assert run.status == JobRunStatus.FAILED.value
    assert run.attempts == 3
    assert run.error == "RuntimeError: planned failure 3"
    assert delays == [30.0, 120.0]
    assert "failed 3 times: giving up" in caplog.text
    assert run_job(spec, fire, sleep=delays.append) is None
    assert len(recorder.calls) == 3


def test_failed_run_rolls_back_its_work(app, factories):
    from members.models import Member

    def create_then_fail(fire_time):
        factories.member(name="Commune créée par une tâche")
        raise RuntimeError("fails after writing")

    spec = daily_spec(create_then_fail, max_attempts=1)

    run_job(spec, datetime(2027, 6, 1, 4, 0, tzinfo=UTC))

    assert db.session.scalar(select(Member).where(Member.name == "Commune créée par une tâche")) is None


# --- Catch-up -------------------------------------------------------------------------------


def test_catch_up_runs_missed_period_once(app):
    recorder = Recorder()
    spec = daily_spec(recorder, hour=6, minute=30)
    # The scheduler was down from 1 June to 3 June 10:00: only the run of 3 June 06:30 is due.
    now = datetime(2027, 6, 3, 10, 0, tzinfo=PARIS)

    first = catch_up([spec], now)
    second = catch_up([spec], now + timedelta(minutes=5))

    assert [run.period_key for run in first] == ["2027-06-03T06:30+02:00"]
    assert second == []
    assert recorder.calls == [datetime(2027, 6, 3, 4, 30, tzinfo=UTC)]


def test_catch_up_retries_failed_period(app):
    recorder = Recorder(failures=1)
    spec = daily_spec(recorder, max_attempts=3, retry_delays=())
    now = datetime(2027, 6, 3, 10, 0, tzinfo=PARIS)
    spec_once = daily_spec(recorder, max_attempts=1, retry_delays=())
    run_job(spec_once, last_fire_time(spec, now))

    [run] = catch_up([spec], now)

    assert run.status == JobRunStatus.SUCCEEDED.value
    assert run.attempts == 2
    assert len(recorder.calls) == 2


# --- CLI ------------------------------------------------------------------------------------


def test_list_shows_next_runs_in_paris(app, monkeypatch):
    monkeypatch.setattr(timeutils, "utcnow", lambda: datetime(2027, 3, 27, 12, 0, tzinfo=UTC))

    result = app.test_cli_runner().invoke(args=["scheduler", "list"])

    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert "28/03/2027 06:00 (Europe/Paris)" in lines["remind_approvals"]
    assert "28/03/2027 06:30 (Europe/Paris)" in lines["prepare_renewals"]
    assert "28/03/2027 00:15 (Europe/Paris)" in lines["close_campaigns"]
    assert "27/03/2027 13:01 (Europe/Paris)" in lines["send_outbox"]


def test_run_once_then_skips(app):
    runner = app.test_cli_runner()
    at = "2027-05-20T07:00+02:00"

    first = runner.invoke(args=["scheduler", "run-once", "prepare_renewals", "--at", at])
    second = runner.invoke(args=["scheduler", "run-once", "prepare_renewals", "--at", at])

    assert first.exit_code == 0, first.output
    output = first.output.replace("\u00a0", " ")
    assert "prepare_renewals pour 2027-05-20T06:30+02:00 : Réussie." in output
    assert "renewals of 2026-2027 open on 2027-06-01" in output
    assert "déjà exécutée, ignorée" in second.output


def test_run_once_unknown_job(app):
    result = app.test_cli_runner().invoke(args=["scheduler", "run-once", "no_such_job"])

    assert result.exit_code != 0
    assert "no_such_job" in result.output


# --- Two schedulers against PostgreSQL ------------------------------------------------------


# Decided at collection, so that a skipped committing test does not empty the tables either.
needs_postgresql = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL (TEST_DATABASE_URL): SQLite serialises every writer, so two schedulers cannot race",
)


@needs_postgresql
@pytest.mark.committing
def test_two_threads_run_job_once(app):
    recorder = Recorder(duration=0.5)
    spec = daily_spec(recorder)
    fire = datetime(2027, 6, 1, 4, 0, tzinfo=UTC)
    barrier = threading.Barrier(2)
    results = []

    def scheduler_thread():
        with app.app_context():
            barrier.wait()
            run = run_job(spec, fire)
            results.append(None if run is None else run.status)
            db.session.remove()

    threads = [threading.Thread(target=scheduler_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(recorder.calls) == 1
    assert sorted(results, key=str) == [None, JobRunStatus.SUCCEEDED.value]
    assert [run.status for run in runs_of("test_daily")] == [JobRunStatus.SUCCEEDED.value]


@needs_postgresql
@pytest.mark.committing
def test_two_processes_run_job_once(app, database_url):
    environment = {**os.environ, "DATABASE_URL": database_url, "CENTRALE_ENV": "testing", "FLASK_APP": "wsgi:app"}
    command = [
        str(Path(sys.executable).parent / "flask"),
        "scheduler",
        "run-once",
        "remind_approvals",
        "--at",
        "2027-06-01T08:00+02:00",
    ]

    processes = [
        subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]

    assert [process.returncode for process in processes] == [0, 0]
    stdout = "".join(out for out, _ in outputs)
    assert stdout.count("Réussie") == 1, outputs
    assert stdout.count("déjà exécutée, ignorée") == 1, outputs
    count = db.session.scalar(select(func.count()).select_from(JobRun).where(JobRun.job_name == "remind_approvals"))
    assert count == 1
