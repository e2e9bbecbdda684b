"""Reporting: what people read. The dashboard (``dashboard``), the server-side SVG charts
(``charts``), the executive status report (``status_report``) and its PDF (``pdf``).

May import everything below it: accounts, criteria, metrics' base, ingest, detection and
alerts. Only the doors (views, API, commands, template tags) import reporting.
"""
