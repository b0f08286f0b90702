import os

# A request's numpy work is small matrices (the feed: a few hundred candidates
# by 384 dimensions); a multi-threaded BLAS spins its threads against the other
# workers' for them (8 ms against 0.13 ms for one product, 2 busy cores).
# Set before anything imports numpy; an operator's own value wins.
for _blas_threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas_threads, "1")

from django.core.wsgi import get_wsgi_application  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings.base")

application = get_wsgi_application()
