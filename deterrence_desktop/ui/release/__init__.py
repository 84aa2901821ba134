"""Custody, release and continuity of care: the release planner, continuity plans and
templates, local closures, and custody episodes on a person's page."""
