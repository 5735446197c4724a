"""Cases: complaints from filing onwards (models, evidence storage, who may see what), with the
public intake wizard and the complainant's follow-up pages."""


def register(app):  # type: ignore[no-untyped-def]
    """Install the intake wizard, follow-up pages and committee case pages."""
    from . import followup_views as _followup  # noqa: F401  (routes on the intake blueprint)
    from .intake_views import bp as intake_bp
    from .views import bp as cases_bp

    app.register_blueprint(intake_bp)
    app.register_blueprint(cases_bp)
