"""Casework: what the committee does around the procedure — identity protection decisions,
internal notes and party-only messages, the case officer, tags, sanction consistency and the
hearing bundle. The procedure itself (states, guards) stays in ``workflow``."""


def register(app):  # type: ignore[no-untyped-def]
    from .views import bp

    app.register_blueprint(bp)
