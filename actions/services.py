"""The clients and stores the actions share, built lazily on first use from the settings."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from actions.clients import DeskClient, KBClient
from actions.config import ActionsSettings, settings
from actions.escalation import EscalationPolicy
from actions.outbox import Outbox, OutboxWorker


@dataclass
class Services:
    settings: ActionsSettings
    kb: KBClient
    desk: DeskClient
    outbox: Outbox
    worker: OutboxWorker

    @property
    def policy(self) -> EscalationPolicy:
        return EscalationPolicy(
            failures_before_handoff=self.settings.failures_before_handoff,
            abuse_warnings_before_handoff=self.settings.abuse_warnings_before_handoff,
            sensitive_min_confidence=self.settings.sensitive_min_confidence,
            sensitive_runner_up_likelihood=self.settings.sensitive_runner_up_likelihood,
            sensitive_margin=self.settings.sensitive_margin,
            sensitive_runner_up_below=self.settings.sensitive_runner_up_below,
        )


def build_services(config: ActionsSettings) -> Services:
    kb = KBClient(
        config.kb_url, timeout=config.http_timeout_seconds, token=config.kb_service_token.get_secret_value()
    )
    desk = DeskClient(
        config.desk_url, config.desk_service_token.get_secret_value(), timeout=config.http_timeout_seconds
    )
    # The worker has a client of its own: a customer's request the server cancels mid-send
    # (Rasa restarting, say) must not leave the worker's connections in a broken state.
    worker_desk = DeskClient(
        config.desk_url, config.desk_service_token.get_secret_value(), timeout=config.http_timeout_seconds
    )
    outbox = Outbox(config.outbox_url or config.outbox_path)
    worker = OutboxWorker(
        outbox,
        worker_desk.create_handoff,
        config.outbox_retry_seconds,
        flush_timeout=max(30.0, 4 * config.http_timeout_seconds),
    )
    return Services(config, kb, desk, outbox, worker)


@functools.lru_cache(maxsize=1)
def default_services() -> Services:
    return build_services(settings())
