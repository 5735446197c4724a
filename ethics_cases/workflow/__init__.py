"""The complaint lifecycle: the state machine (built once per process), its guards, and the
operations that alone move a case from one state to the next."""


def register(app):  # type: ignore[no-untyped-def]
    """Install the workflow pages and make sanctions in force count in members' standing."""
    from . import standing
    from .views import bp

    standing.install()
    app.register_blueprint(bp)
