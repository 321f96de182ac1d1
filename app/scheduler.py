"""The scheduler process: APScheduler 3 in Europe/Paris, started by ``flask scheduler run``.

It runs in a process of its own, never in the web workers. The kernel's jobs are listed here;
each domain adds its own in ``<domain>/jobs.py`` as a module-level list ``JOBS`` of JobSpec.
Running two scheduler processes is safe: app.jobs runs each job once per period.
"""

from __future__ import annotations

import importlib
import logging
import signal
from datetime import datetime

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import jobs
from .formatting import format_timestamp
from .jobs import JobSpec
from . import timeutils
from .timeutils import PARIS

logger = logging.getLogger(__name__)


def _send_outbox(fire_time: datetime) -> str:
    from .mail import send_pending

    return str(send_pending())


KERNEL_JOBS = [
    JobSpec(
        name="send_outbox",
        function=_send_outbox,
        description=_l("Send the e-mails waiting in the outbox"),
        minute="*",
        max_attempts=1,
        retry_delays=(),
    ),
    JobSpec(
        name="prune_job_runs",
        function=jobs.prune_job_runs,
        description=_l("Delete succeeded job runs older than 30 days"),
        hour=3,
        minute=0,
    ),
]


def job_specs() -> list[JobSpec]:
    """Return the kernel's jobs, then each domain's JOBS in domain order."""
    from . import DOMAIN_PACKAGES

    specs = list(KERNEL_JOBS)
    for name in DOMAIN_PACKAGES:
        try:
            module = importlib.import_module(f"{name}.jobs")
        except ModuleNotFoundError as error:
            if error.name != f"{name}.jobs":
                raise
            continue
        specs.extend(module.JOBS)
    return specs


def find_spec(name: str) -> JobSpec:
    for spec in job_specs():
        if spec.name == name:
            return spec
    raise click.BadParameter(
        _("Unknown job %(name)s: run flask scheduler list to see the jobs.", name=name), param_hint="JOB"
    )


def _run_scheduled(app: Flask, name: str) -> None:
    """Run one job for the period that has just fired, in an application context of its own."""
    with app.app_context():
        spec = find_spec(name)
        fire_time = jobs.last_fire_time(spec, timeutils.utcnow())
        if fire_time is None:
            logger.warning("Job %s fired with no scheduled time in its window: skipped", name)
            return
        jobs.run_job(spec, fire_time)


def build_scheduler(app: Flask) -> BlockingScheduler:
    """Create the scheduler with every job; coalesce turns a backlog into one run."""
    scheduler = BlockingScheduler(timezone=PARIS)
    for spec in job_specs():
        scheduler.add_job(
            _run_scheduled,
            trigger=spec.trigger(),
            args=(app, spec.name),
            id=spec.name,
            name=spec.name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=30 if spec.minute == "*" else 3600,
        )
    return scheduler


scheduler_cli = AppGroup("scheduler", help="Run the scheduled jobs (outbox, reminders, renewals, campaigns).")


@scheduler_cli.command("run")
def run_command() -> None:
    """Catch up the missed runs, then run every job on schedule until stopped (Ctrl+C or SIGTERM)."""
    app = current_app._get_current_object()
    specs = job_specs()
    logger.info("Scheduler starting with %s jobs (time zone Europe/Paris)", len(specs))
    jobs.catch_up(specs, timeutils.utcnow())
    scheduler = build_scheduler(app)

    def stop(signum, frame) -> None:
        logger.info("Scheduler stopping on signal %s", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    try:
        scheduler.start()
    except KeyboardInterrupt:
        pass
    logger.info("Scheduler stopped")


@scheduler_cli.command("list")
def list_command() -> None:
    """Show each job, its schedule and its next run in Europe/Paris."""
    now = timeutils.utcnow()
    next_run_label = _("next run")
    for spec in job_specs():
        next_run = jobs.next_fire_time(spec, now)
        click.echo(
            f"{spec.name:<28} {next_run_label} {format_timestamp(next_run) if next_run else '-'} "
            f"(Europe/Paris)  {spec.description}"
        )


@scheduler_cli.command("run-once")
@click.argument("job")
@click.option(
    "--at",
    "at",
    default=None,
    help="Run the period scheduled at or before this time (ISO 8601, for example 2027-06-01T07:00+02:00); default now.",
)
def run_once_command(job: str, at: str | None) -> None:
    """Run JOB once for its latest period, unless a run already took that period."""
    spec = find_spec(job)
    now = datetime.fromisoformat(at) if at else timeutils.utcnow()
    if now.tzinfo is None:
        now = now.replace(tzinfo=PARIS)
    fire_time = jobs.last_fire_time(spec, now)
    if fire_time is None:
        raise click.ClickException(_("Job %(name)s has no scheduled run before this time.", name=job))
    run = jobs.run_job(spec, fire_time)
    if run is None:
        click.echo(_("%(name)s for %(period)s: already run, skipped.", name=job, period=jobs.period_key(fire_time)))
        return
    click.echo(
        _(
            "%(name)s for %(period)s: %(status)s. %(summary)s",
            name=job,
            period=run.period_key,
            status=run.status_label,
            summary=run.summary or run.error,
        )
    )
    if run.status != jobs.JobRunStatus.SUCCEEDED.value:
        raise SystemExit(1)


COMMANDS = [scheduler_cli]
