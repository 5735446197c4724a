"""The public register: anyone may check a member's standing by name or membership number.

It shows what the association chooses to publish (``REGISTER_*`` settings in ``config.py``):
the member's pledge (Code version and date) and the sanctions it publishes, by default only
suspensions and revocations in force. Nothing about complaints is ever shown here.
"""


def register(app):  # type: ignore[no-untyped-def]
    from .views import bp

    app.register_blueprint(bp)
