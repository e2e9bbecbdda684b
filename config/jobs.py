"""Enqueue a Celery task after the current transaction commits, by the task's name.

Services call this instead of importing a ``tasks`` module: tasks are thin wrappers that
import services, so a service importing tasks back would close an import circle. The task is
looked up by its registered name (``"outbox.tasks.delivery_attempt_task"``) when the transaction
commits; its module is imported then if the process has not loaded it yet (a web process
never runs Celery's autodiscovery). Eager mode (the zero-setup default) runs it in process.
"""

from importlib import import_module
from typing import Any

from celery import current_app
from django.db import transaction


def task_by_name(name: str) -> Any:
    """The registered task called ``name`` (``module.function``)."""
    if name not in current_app.tasks:
        import_module(name.rpartition(".")[0])
    return current_app.tasks[name]


def enqueue_on_commit(name: str, *args: Any, countdown: float | None = None) -> None:
    """Send task ``name`` with ``args`` (ids and ISO dates only) once the transaction commits
    (at once when no transaction is open)."""

    def send() -> None:
        task_by_name(name).apply_async(args, countdown=countdown)

    transaction.on_commit(send)
