"""Scheduled jobs: their definitions and the run table that makes each period run once.

A job run is identified by the job's name and its period key, the scheduled fire time in
Europe/Paris (``2027-03-28T06:00+02:00``). Before running, a process inserts the JobRun row and
commits. The unique constraint on (job_name, period_key) makes a second process's insert fail,
so that process skips the period. A failed run is retried up to ``max_attempts`` times in all,
by the process running it or, once the attempts left the row failed, by the next catch-up.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from apscheduler.triggers.cron import CronTrigger
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, Text, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from . import timeutils
from .timeutils import PARIS, UTCDateTime, utcnow

logger = logging.getLogger(__name__)

# A run still marked running after this long belongs to a process that died: it may be taken over.
STALE_RUN_AFTER = timedelta(hours=2)
# Succeeded runs older than this are deleted by the prune_job_runs job.
KEEP_RUNS_FOR = timedelta(days=30)


class JobRunStatus(str, enum.Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


# Msgids distinct from other domains' payment statuses, because the catalogues share one namespace.
JOB_RUN_STATUS_LABELS = {
    JobRunStatus.RUNNING: _l("Job running"),
    JobRunStatus.SUCCEEDED: _l("Job succeeded"),
    JobRunStatus.FAILED: _l("Job failed"),
}


class JobRun(db.Model):
    """One run of a scheduled job for one period, with its outcome."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job_name", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(60), index=True)
    period_key: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=JobRunStatus.RUNNING.value, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    # host:pid of the process that ran the last attempt.
    runner: Mapped[str] = mapped_column(String(120), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")

    @property
    def status_label(self) -> str:
        return str(JOB_RUN_STATUS_LABELS[JobRunStatus(self.status)])


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: its function and its cron schedule in Europe/Paris.

    ``function`` receives the period's fire time (aware, UTC) and returns a short summary. It
    must be idempotent, because a failed period is run again.
    """

    name: str
    function: Callable[[datetime], str | None]
    description: str
    hour: str | int = "*"
    minute: str | int = 0
    max_attempts: int = 3
    # Seconds to wait before the second, third... attempt in the same process.
    retry_delays: tuple[float, ...] = field(default=(30.0, 120.0))

    def trigger(self) -> CronTrigger:
        return CronTrigger(hour=self.hour, minute=self.minute, timezone=PARIS)

    @property
    def lookback(self) -> timedelta:
        """How far back the last fire time can be: 25 hours covers a daily job across a clock change."""
        if self.hour == "*":
            return timedelta(hours=2) if self.minute != "*" else timedelta(minutes=2)
        return timedelta(hours=25)


def last_fire_time(spec: JobSpec, now: datetime) -> datetime | None:
    """Return the latest scheduled fire time of ``spec`` at or before ``now``, in UTC."""
    trigger = spec.trigger()
    now = now.astimezone(PARIS)
    last = None
    fire = trigger.get_next_fire_time(None, now - spec.lookback)
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return last.astimezone(timezone.utc) if last is not None else None


def next_fire_time(spec: JobSpec, now: datetime) -> datetime | None:
    """Return the next fire time of ``spec`` after ``now``, in Europe/Paris."""
    return spec.trigger().get_next_fire_time(None, now.astimezone(PARIS) + timedelta(seconds=1))


def period_key(fire_time: datetime) -> str:
    return fire_time.astimezone(PARIS).isoformat(timespec="minutes")


def _runner_name() -> str:
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def claim_run(spec: JobSpec, key: str, now: datetime) -> JobRun | None:
    """Take the run of ``spec`` for period ``key`` and commit; None when another process has it.

    The first process inserts the row. A later process takes it over only when it failed with
    attempts left, or when it has been running longer than STALE_RUN_AFTER.
    """
    run = JobRun(job_name=spec.name, period_key=key, status=JobRunStatus.RUNNING.value, attempts=1,
                 runner=_runner_name(), started_at=now)
    db.session.add(run)
    try:
        db.session.commit()
        return run
    except IntegrityError:
        db.session.rollback()

    existing = db.session.scalar(select(JobRun).where(JobRun.job_name == spec.name, JobRun.period_key == key))
    if existing is None:
        return None
    retryable = (JobRun.status == JobRunStatus.FAILED.value) & (JobRun.attempts < spec.max_attempts)
    stale = (JobRun.status == JobRunStatus.RUNNING.value) & (JobRun.started_at < now - STALE_RUN_AFTER)
    result = db.session.execute(
        update(JobRun)
        .where(JobRun.id == existing.id, JobRun.attempts == existing.attempts, retryable | stale)
        .values(status=JobRunStatus.RUNNING.value, attempts=existing.attempts + 1, runner=_runner_name(),
                started_at=now, finished_at=None)
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    db.session.refresh(existing)
    return existing


def _retake(run: JobRun, now: datetime) -> None:
    run.status = JobRunStatus.RUNNING.value
    run.attempts += 1
    run.started_at = now
    run.finished_at = None
    db.session.commit()


def run_job(spec: JobSpec, fire_time: datetime, *, sleep: Callable[[float], None] = time.sleep) -> JobRun | None:
    """Run ``spec`` for the period of ``fire_time`` unless another run has it; return the run.

    Each attempt runs in its own transaction, committed on success and rolled back on error.
    Returns None when the period was already taken (run, running or out of attempts).
    """
    key = period_key(fire_time)
    run = claim_run(spec, key, timeutils.utcnow())
    if run is None:
        logger.info("Job %s for %s already taken by another run: skipped", spec.name, key)
        return None
    while True:
        logger.info("Job %s for %s started (attempt %s)", spec.name, key, run.attempts)
        try:
            summary = spec.function(fire_time)
            db.session.commit()
        # The runner is the last place a job's error can be caught: any exception is recorded
        # on the run and logged with its traceback, then retried while attempts are left.
        except Exception as error:  # noqa: BLE001
            db.session.rollback()
            logger.exception("Job %s for %s failed (attempt %s)", spec.name, key, run.attempts)
            run.status = JobRunStatus.FAILED.value
            run.error = f"{type(error).__name__}: {error}"[:4000]
            run.finished_at = timeutils.utcnow()
            db.session.commit()
            if run.attempts >= spec.max_attempts:
                logger.error("Job %s for %s failed %s times: giving up", spec.name, key, run.attempts)
                return run
            delay = spec.retry_delays[min(run.attempts - 1, len(spec.retry_delays) - 1)] if spec.retry_delays else 0
            sleep(delay)
            _retake(run, timeutils.utcnow())
            continue
        run.status = JobRunStatus.SUCCEEDED.value
        run.summary = (summary or "")[:4000]
        run.error = ""
        run.finished_at = timeutils.utcnow()
        db.session.commit()
        logger.info("Job %s for %s succeeded: %s", spec.name, key, run.summary)
        return run


def catch_up(specs: list[JobSpec], now: datetime, *, sleep: Callable[[float], None] = time.sleep) -> list[JobRun]:
    """Run once, for each job, its last period when no run has taken it (missed while down)."""
    runs = []
    for spec in specs:
        fire_time = last_fire_time(spec, now)
        if fire_time is None:
            continue
        status = db.session.scalar(
            select(JobRun.status).where(JobRun.job_name == spec.name, JobRun.period_key == period_key(fire_time))
        )
        db.session.commit()
        if status == JobRunStatus.SUCCEEDED.value:
            continue
        logger.info("Job %s missed its run of %s: catching up", spec.name, period_key(fire_time))
        run = run_job(spec, fire_time, sleep=sleep)
        if run is not None:
            runs.append(run)
    return runs


def recent_runs(limit: int = 100) -> list[JobRun]:
    return list(db.session.scalars(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)))


def prune_job_runs(fire_time: datetime) -> str:
    """Delete the succeeded runs older than KEEP_RUNS_FOR (the outbox job adds one a minute)."""
    result = db.session.execute(
        delete(JobRun).where(
            JobRun.status == JobRunStatus.SUCCEEDED.value, JobRun.started_at < fire_time - KEEP_RUNS_FOR
        )
    )
    return f"{result.rowcount} old runs deleted"
