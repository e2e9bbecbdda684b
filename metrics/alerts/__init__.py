"""Alerts: what the product does when detection finds something.

Owns the alert lifecycle (``lifecycle``: opening, keeping and resolving alerts and reviews
from the evaluation's episodes), people acting on alerts and deciding reviews (``reviews``),
notifications (``notifications``) and the weekly digest (``digest``).

May import: accounts, criteria, config.jobs, metrics' base, ingest and detection. Nothing from
reporting. Work for a worker is enqueued by task name (config.jobs), never by importing
metrics.tasks.
"""
