"""Domain errors of the knowledge service, mapped to HTTP in one place (app.py).

KBError
├── NotReady            503  model or index still loading
├── ArticleNotFound     404
├── ExampleNotFound     404
├── InvalidArticle      422  front matter or body that fails validation
├── InvalidQuery        422
└── Unauthorized        401  editing without the editor token
"""


class KBError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotReady(KBError):
    status_code = 503
    code = "not_ready"


class ArticleNotFound(KBError):
    status_code = 404
    code = "article_not_found"


class ExampleNotFound(KBError):
    status_code = 404
    code = "example_not_found"


class InvalidArticle(KBError):
    status_code = 422
    code = "invalid_article"


class InvalidQuery(KBError):
    status_code = 422
    code = "invalid_query"


class Unauthorized(KBError):
    status_code = 401
    code = "unauthorized"
