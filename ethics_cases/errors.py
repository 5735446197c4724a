"""Error pages that say what happened in plain words."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

EXPLANATIONS: dict[int, tuple[str, str]] = {
    400: ("The request could not be understood",
          "Something in what was sent was malformed or incomplete. Go back, check the form and "
          "try again."),
    403: ("You are not allowed to see this",
          "Your account does not have permission for this page or action. If you think it "
          "should, ask the ethics committee's administrator."),
    404: ("Page not found",
          "There is nothing at this address. It may have been mistyped, or the item may not "
          "exist."),
    405: ("That action is not available here",
          "This page does not accept that kind of request."),
    409: ("Someone else changed this first",
          "The item changed after you opened it, so your action was not applied. Reload the "
          "page to see the current state, then try again."),
    413: ("That upload is too large",
          "The files sent together are larger than this site accepts. Send fewer or smaller "
          "files."),
    429: ("Too many attempts",
          "You have tried this too often in a short time. Wait a little and try again."),
    500: ("Something went wrong on our side",
          "The error has been logged and nothing you sent was half-saved. Please try again in "
          "a moment."),
}


def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
    title, explanation = EXPLANATIONS.get(code, ("Error", "The request failed."))
    return (
        render_template("errors/error.html", code=code, title=title,
                        explanation=explanation, detail=detail),
        code,
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return render_error(400, "The form had expired or was sent from another site. "
                                 "Reload the page and submit it again.")

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        detail = error.description if error.code == 409 else None
        return render_error(error.code, detail)
