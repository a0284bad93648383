"""Errors of the action server.

ActionsError
├── ServiceUnavailable   the knowledge service or desk could not be reached, or failed (5xx)
└── RejectedRequest      the service refused the request (4xx): a bug, not a passing fault
"""


class ActionsError(Exception):
    pass


class ServiceUnavailable(ActionsError):
    pass


class RejectedRequest(ActionsError):
    pass
