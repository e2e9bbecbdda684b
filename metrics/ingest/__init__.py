"""Ingest: how data gets into metrics.

Owns the file formats of FORMATS.md §1-2 (``formats``: parsing and row checks), the
ingestion service (``services``: runs, upserts by natural key, quarantined rejects, daily
re-aggregation), upload size limits (``uploads``), the transcript hook that sampling fills
(``transcripts``) and the reviewers' weekly scores handed over by sampling
(``review_scores``).

May import: accounts, criteria, config.jobs and metrics' base (models, weeks, access,
selectors). Nothing from detection, alerts or reporting.
"""
