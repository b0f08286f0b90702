"""Summaries: pluggable summarizers, versioned reviewable Summary rows, and their tasks."""
