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
    preference = (preference or "auto").lower()
    if preference != "auto":
        if preference not in DTYPE_NAMES:
            raise ImproperlyConfigured(f"Unknown dtype '{preference}'.")
        return getattr(torch, DTYPE_NAMES[preference])
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


DTYPE_NAMES = {
    "float32": "float32",
    "fp32": "float32",
    "float16": "float16",
    "fp16": "float16",
    "half": "float16",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
}


def device_class(device: str) -> str:
    """Return ``cuda`` for ``cuda:N``; other devices name their own class."""
    device = (device or "auto").lower()
    return "cuda" if device.startswith("cuda") else device


def precision_options_resolve(
    options: dict[str, Any], *, accelerator: str
) -> dict[str, Any]:
    """Return ``options`` with ``device`` and ``dtype`` made explicit, without torch.

    ``device: auto`` becomes ``accelerator``; ``dtype: auto`` becomes bfloat16
    on CUDA and float32 elsewhere (set float16 explicitly for GPUs without
    bfloat16). The resolved values are options like any other, so they go into
    the producer key: a bf16 GPU worker and an fp32 CPU worker never write
    under one key, and the web process computes the same key as the workers.
    """
    resolved = dict(options)
    device = str(resolved.get("device") or "auto").lower()
    if device == "auto":
        device = (accelerator or "cpu").lower()
    dtype = str(resolved.get("dtype") or "auto").lower()
    if dtype == "auto":
        dtype = "bfloat16" if device_class(device) == "cuda" else "float32"
    elif dtype not in DTYPE_NAMES:
        raise ImproperlyConfigured(
            f"Unknown dtype '{dtype}' (use auto, float32, float16 or bfloat16)."
        )
    resolved["device"] = device
    resolved["dtype"] = DTYPE_NAMES.get(dtype, dtype)
    return resolved


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
