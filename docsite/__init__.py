"""docsite: document intelligence for Django.

The Celery app is set up by the ``workers`` app; this core package never
imports it.
"""

__version__ = "0.1.0"
