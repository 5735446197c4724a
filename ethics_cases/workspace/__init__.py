"""The committee's workspace: the case queue (dashboard) and deadlines.

- ``queries.py``: who may see which case, who a case waits on, filters, sorts, counts.
- ``views.py``: the queue page (``/workspace/``); the nav's "Cases" link and ``/cases/`` lead
  here.
- ``deadlines.py`` + ``cli.py``: ``flask deadlines run`` (reminders, suspensions ending,
  missed response deadlines, the workflow's system steps), idempotent, for cron.
- ``models.py``: ``DeadlineNotice`` (what was already sent) and the queue's indexes.
"""


def register(app):  # type: ignore[no-untyped-def]
    from .views import bp

    app.register_blueprint(bp)
