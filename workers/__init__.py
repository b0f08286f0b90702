"""Celery infrastructure: the app, queues, reprocessing jobs and the sweeper."""
