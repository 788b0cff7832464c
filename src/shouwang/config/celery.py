"""The one Celery app of every capability.

Embedded default: kombu's SQLAlchemy transport on a SQLite file under var/, so `make demo` runs a
real worker without a server. Production: CELERY_BROKER_URL=redis://… . Tasks live in each app's
tasks.py and are found by autodiscovery.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")

app = Celery("shouwang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
