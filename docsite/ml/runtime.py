"""Device, dtype and thread choices for torch models, made inside the process
that runs them (a Celery child, never the pre-fork parent).

torch is imported lazily: importing it costs seconds, and the web process
never needs it.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

_threads_lock = threading.Lock()
_threads_applied: int | None = None


class MissingMLDependencies(ImproperlyConfigured):
    pass


def import_torch():
    try:
        import torch
    except ImportError as exc:
        raise MissingMLDependencies(
            "This backend needs torch and transformers: install docsite[ml]."
        ) from exc
    return torch


def device_resolve(preference: str = "auto") -> str:
    """Return the device to run on: ``auto`` picks cuda, then mps, then cpu.

    An explicit device that is not available raises ``ImproperlyConfigured``
    rather than silently running somewhere slower.
    """
    torch = import_torch()
    preference = (preference or "auto").lower()
    if preference == "auto":
        if torch.cuda.is_available():
            device = "cuda"
        elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            device = "mps"
        else:
            device = "cpu"
        logger.info("device auto -> %s", device)
        return device
    if preference.startswith("cuda") and not torch.cuda.is_available():
        raise ImproperlyConfigured(
            f"device '{preference}' was asked for, but CUDA is not available."
        )
    if preference == "mps" and not (
        getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
    ):
        raise ImproperlyConfigured(
            "device 'mps' was asked for, but MPS is not available."
        )
    if preference not in {"cpu", "mps"} and not preference.startswith("cuda"):
        raise ImproperlyConfigured(
            f"Unknown device '{preference}' (use auto, cpu, cuda, cuda:N or mps)."
        )
    return preference


def dtype_resolve(device: str, preference: str = "auto") -> torch.dtype:
    """Return the weights' dtype: on CUDA bf16 where supported, else fp16; fp32 elsewhere."""
    torch = import_torch()
    names = {
        "float32": torch.float32,
        "fp32": torch.float32,
        "float16": torch.float16,
        "fp16": torch.float16,
        "bfloat16": torch.bfloat16,
        "bf16": torch.bfloat16,
    }
    preference = (preference or "auto").lower()
    if preference != "auto":
        if preference not in names:
            raise ImproperlyConfigured(f"Unknown dtype '{preference}'.")
        return names[preference]
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def torch_threads_apply(threads: int | None) -> None:
    """Set torch's intra-op threads once per process (0 or None: leave torch's default).

    On small machines, Celery concurrency times torch threads must not exceed
    the cores, or every task slows down many times over.
    """
    global _threads_applied
    if not threads:
        return
    with _threads_lock:
        if _threads_applied == threads:
            return
        torch = import_torch()
        torch.set_num_threads(threads)
        _threads_applied = threads
        logger.info("torch threads set to %d", threads)


def is_out_of_memory(exc: BaseException) -> bool:
    torch = import_torch()
    oom = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError
    return isinstance(exc, oom) or "out of memory" in str(exc).lower()


def cuda_cache_clear() -> None:
    torch = import_torch()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def describe_device(device: str, dtype: Any) -> dict[str, Any]:
    return {"device": device, "dtype": str(dtype).replace("torch.", "")}
