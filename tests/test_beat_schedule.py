"""Each periodic task is scheduled next to its code: `beat_schedule()` in its app's tasks module, with the
intervals from that app's settings; the beat scheduler collects every app's and copies them into the database."""

from datetime import timedelta

import pytest
from celery.schedules import crontab

from config.celery import app, every_beat_schedule

# Every periodic task and the app whose tasks module schedules it (a new one needs a line here).
PERIODIC = {
    "challenges.sweep": "challenges",
    "challenges.notify_closing_phases": "challenges",
    "blueprints.sweep_stale_uploads": "blueprints",
    "payments.sweep": "payments",
    "payments.reconcile": "payments",
    "dossiers.sweep": "dossiers",
    "community.send_digests": "community",
}


def test_every_periodic_task_is_scheduled_by_its_own_app():
    from importlib import import_module

    schedule = every_beat_schedule()

    assert set(schedule) == set(PERIODIC)
    for name, owner in PERIODIC.items():
        assert name in import_module(f"{owner}.tasks").beat_schedule(), name
        assert schedule[name]["task"] == name


def test_every_scheduled_task_exists():
    app.loader.import_default_modules()

    for entry in every_beat_schedule().values():
        assert entry["task"] in app.tasks, entry["task"]


def test_the_schedules_follow_the_settings_when_they_are_read(settings):
    settings.CHALLENGES_SWEEP_SECONDS = 7
    settings.PAYMENTS_RECONCILE_MINUTES = 15
    settings.COMMUNITY_CLOSING_SWEEP_MINUTES = 3
    settings.COMMUNITY_DIGEST_HOUR_UTC = 6

    schedule = every_beat_schedule()

    assert schedule["challenges.sweep"]["schedule"] == timedelta(seconds=7)
    assert schedule["challenges.sweep"]["options"] == {"expire_seconds": 7}
    assert schedule["payments.reconcile"]["schedule"] == timedelta(minutes=15)
    assert schedule["challenges.notify_closing_phases"]["options"] == {"expire_seconds": 180}
    assert schedule["community.send_digests"]["schedule"] == crontab(hour=6, minute=0)


@pytest.mark.django_db(transaction=True)  # the scheduler closes stale connections as beat does
def test_the_beat_scheduler_copies_every_apps_schedule_into_the_database():
    from django_celery_beat.models import PeriodicTask

    from config.celery import OncePerTickScheduler

    OncePerTickScheduler(app=app, lazy=False)

    stored = dict(PeriodicTask.objects.filter(name__in=PERIODIC).values_list("name", "task"))
    assert stored == {name: name for name in PERIODIC}
