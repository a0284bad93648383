"""Domain errors of the knowledge service, mapped to HTTP in one place (app.py).

KBError
├── NotReady            503  model or index still loading
├── ArticleNotFound     404
│   └── VersionNotFound 404  no such version of an article
├── ExampleNotFound     404
├── ArticleExists       409  creating an id that is taken (also by a deleted article)
├── VersionConflict     409  an edit based on a version that is not the latest (`current_version`)
├── InvalidArticle      422  front matter or body that fails validation (`fields` names each)
├── InvalidQuery        422
└── Unauthorized        401  editing without the editor token

`details()` adds an error's own fields to the JSON error body beside `code` and `message`.
"""

from __future__ import annotations

from typing import Any


class KBError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> dict[str, Any]:
        return {}


class NotReady(KBError):
    status_code = 503
    code = "not_ready"


class ArticleNotFound(KBError):
    status_code = 404
    code = "article_not_found"


class VersionNotFound(ArticleNotFound):
    code = "version_not_found"


class ExampleNotFound(KBError):
    status_code = 404
    code = "example_not_found"


class ArticleExists(KBError):
    status_code = 409
    code = "article_exists"


class VersionConflict(KBError):
    status_code = 409
    code = "version_conflict"

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version

    def details(self) -> dict[str, Any]:
        return {"current_version": self.current_version}


class InvalidArticle(KBError):
    status_code = 422
    code = "invalid_article"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}

    def details(self) -> dict[str, Any]:
        return {"fields": self.fields} if self.fields else {}


class InvalidQuery(KBError):
    status_code = 422
    code = "invalid_query"


class Unauthorized(KBError):
    status_code = 401
    code = "unauthorized"
