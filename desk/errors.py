"""Domain errors of the desk, mapped to HTTP in one place (app.py).

DeskError
├── Unauthorized          401  no or bad session / service token
├── Forbidden             403  a cross-site request, or a role the person does not hold
├── ConversationNotFound  404
├── HandoffNotFound       404
├── StaffNotFound         404
├── ArticleNotFound       404
├── Conflict              409  claimed by another agent, or the wrong state for the action
│   └── VersionConflict        an article edit based on an old version (+ current_version)
├── InvalidInput          422
│   └── InvalidArticle         the knowledge service refused an article (+ fields: name → problem)
├── TooManyRequests       429  sign-in attempts throttled
├── UpstreamUnavailable   503  Rasa or the knowledge service cannot be reached
├── UpstreamRefused       502  the knowledge service refused the desk's own credentials
└── MailNotSent           502  the mail server did not take an email (the outbox keeps it;
    │                          never raised to a request)
    ├── MailDeferred           unreachable, timed out or a 4xx answer: try again later
    └── MailRefused            a 5xx answer (a bad address, say): retrying would not help
"""

from typing import Any


class DeskError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> dict[str, Any]:
        """Fields the JSON error body carries beside code and message."""
        return {}


class Unauthorized(DeskError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DeskError):
    status_code = 403
    code = "forbidden"


class ConversationNotFound(DeskError):
    status_code = 404
    code = "conversation_not_found"


class HandoffNotFound(DeskError):
    status_code = 404
    code = "handoff_not_found"


class StaffNotFound(DeskError):
    status_code = 404
    code = "staff_not_found"


class ArticleNotFound(DeskError):
    status_code = 404
    code = "article_not_found"


class Conflict(DeskError):
    status_code = 409
    code = "conflict"


class VersionConflict(Conflict):
    code = "version_conflict"

    def __init__(self, message: str, current_version: int | None) -> None:
        super().__init__(message)
        self.current_version = current_version

    def details(self) -> dict[str, Any]:
        return {"current_version": self.current_version}


class InvalidInput(DeskError):
    status_code = 422
    code = "invalid_input"


class InvalidArticle(InvalidInput):
    code = "invalid_article"

    def __init__(self, message: str, fields: dict[str, str]) -> None:
        super().__init__(message)
        self.fields = fields

    def details(self) -> dict[str, Any]:
        return {"fields": self.fields}


class TooManyRequests(DeskError):
    status_code = 429
    code = "too_many_requests"


class UpstreamUnavailable(DeskError):
    status_code = 503
    code = "upstream_unavailable"


class UpstreamRefused(DeskError):
    status_code = 502
    code = "upstream_refused"


class MailNotSent(DeskError):
    status_code = 502
    code = "mail_not_sent"


class MailDeferred(MailNotSent):
    """A transient failure: the outbox tries again later."""


class MailRefused(MailNotSent):
    """A permanent refusal: the outbox keeps the email as `rejected`."""
