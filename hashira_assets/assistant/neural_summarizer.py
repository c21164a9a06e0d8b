"""The neural summarizer: the bundled SmolLM2-135M, de-quantized from its GGUF and fine-tuned
with LoRA on the training conversations to write the summary itself.

Training is bounded by a time budget (the sample it reaches is recorded), runs in bfloat16 where
the CPU has it natively (float32 elsewhere) with float32 adapters, and teaches only the summary
tokens (the prompt's loss is masked). Generation is greedy and continuously batched; the adapters
are merged into the weights first.
"""

from __future__ import annotations

import dataclasses
import functools
import random
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch

from hashira_assets.assistant.constrained_decoding import (
    TranscriptConstraint,
    constraint_vocabulary,
)
from hashira_assets.assistant.continuous_decoding import greedy_continuations
from hashira_assets.assistant.faithfulness import SPEAKER_RE
from hashira_assets.assistant.lora import add_lora, merge_lora

# Short on purpose: every prompt token is paid for on each of the conversations summarized, and
# the fine-tuned model needs no instructions.
PROMPT_HEAD = "Support chat to summarize:\n"
PROMPT_TAIL = "\nSummary:"


@dataclasses.dataclass(frozen=True)
class NeuralSettings:
    """The fine-tuning budget and the generation limits."""

    max_examples: int = 400  # the sample drawn from the training conversations
    budget_seconds: float = 240.0  # training stops here, wherever it is in the sample
    epochs: int = 1
    batch_size: int = 8
    learning_rate: float = 1e-3
    rank: int = 8
    alpha: float = 16.0
    max_chat_tokens: int = 320  # longer chats keep their start and their end
    max_new_tokens: int = 64
    generate_batch: int = 32  # rows decoded together (continuous batching)
    # Digits spell only the transcript's numbers; actions it never names are not written
    # (`constrained_decoding`).
    constrained: bool = True
    seed: int = 0


def compact_transcript(transcript: str) -> str:
    """One turn per line as "Customer: …" / "Agent: …", blank lines dropped."""
    lines = []
    for line in transcript.splitlines():
        line = line.strip()
        if not line:
            continue
        match = SPEAKER_RE.match(line)
        if match:
            line = f"{match.group(1).title()}: {line[match.end() :].strip()}"
        lines.append(line)
    return "\n".join(lines)


def prompt_ids(tokenizer: Any, transcript: str, max_chat_tokens: int) -> list[int]:
    """The prompt's token ids; a chat over `max_chat_tokens` keeps its first and last parts."""
    chat = tokenizer(compact_transcript(transcript), add_special_tokens=False)["input_ids"]
    if len(chat) > max_chat_tokens:
        head = max_chat_tokens // 2
        gap = tokenizer(" … ", add_special_tokens=False)["input_ids"]
        chat = chat[:head] + gap + chat[-(max_chat_tokens - head - len(gap)) :]
    head = tokenizer(PROMPT_HEAD, add_special_tokens=False)["input_ids"]
    tail = tokenizer(PROMPT_TAIL, add_special_tokens=False)["input_ids"]
    return head + chat + tail


def load_base_model(dtype: torch.dtype | None = None) -> tuple[Any, Any]:
    """A fresh (model, tokenizer) of the bundled SmolLM2, de-quantized from its GGUF, in
    bfloat16 where the CPU has it natively and float32 elsewhere (unless `dtype` says)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from resources.llm import smollm_folder
    from resources.torch_cpu import fast_dtype

    folder = smollm_folder()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    return model.to(dtype or fast_dtype()), tokenizer


@dataclasses.dataclass(frozen=True)
class FineTuneReport:
    examples_seen: int
    sample_size: int
    steps: int
    seconds: float
    losses: list[float]
    stopped_by_budget: bool


def _training_batches(
    tokenizer: Any, examples: Sequence[tuple[str, str]], settings: NeuralSettings
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    rows = []
    for transcript, summary in examples:
        prompt = prompt_ids(tokenizer, transcript, settings.max_chat_tokens)
        target = tokenizer(" " + summary.strip(), add_special_tokens=False)["input_ids"]
        target = [*target[: settings.max_new_tokens], tokenizer.eos_token_id]
        rows.append((prompt + target, [-100] * len(prompt) + target))
    # Similar lengths share a batch (less padding); batches are then shuffled.
    order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
    batches = []
    for start in range(0, len(order), settings.batch_size):
        part = [rows[i] for i in order[start : start + settings.batch_size]]
        width = max(len(ids) for ids, _ in part)
        pad = tokenizer.pad_token_id
        ids = torch.tensor([r + [pad] * (width - len(r)) for r, _ in part])
        labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in part])
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r, _ in part])
        batches.append((ids, labels, mask))
    random.Random(settings.seed).shuffle(batches)
    return batches


def summary_loss(
    model: Any, ids: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor
) -> torch.Tensor:
    """The mean cross-entropy of the labeled (summary) tokens: what the model's own loss is, with
    the vocabulary head applied only where a label is (it is a fifth of the model's weights, and
    most positions are the prompt's)."""
    hidden = model.get_decoder()(input_ids=ids, attention_mask=mask, use_cache=False)
    targets = labels[:, 1:]
    labeled = targets != -100
    logits = model.get_output_embeddings()(hidden.last_hidden_state[:, :-1][labeled])
    return torch.nn.functional.cross_entropy(logits.float(), targets[labeled])


def fine_tune(
    model: Any,
    tokenizer: Any,
    examples: Sequence[tuple[str, str]],
    settings: NeuralSettings,
    progress: Callable[[str], None] = lambda _: None,
) -> FineTuneReport:
    """LoRA fine-tuning on (transcript, reference summary) pairs, within the time budget."""
    torch.manual_seed(settings.seed)
    trainable = add_lora(model, settings.rank, settings.alpha)
    optimizer = torch.optim.AdamW(trainable, lr=settings.learning_rate, weight_decay=0.0)
    batches = _training_batches(tokenizer, examples, settings) * settings.epochs
    model.train()
    started, losses, seen, steps = time.monotonic(), [], 0, 0
    stopped = False
    for step, (ids, labels, mask) in enumerate(batches):
        elapsed = time.monotonic() - started
        if elapsed > settings.budget_seconds:
            stopped = True
            break
        # Linear decay to a tenth over the planned steps.
        for group in optimizer.param_groups:
            group["lr"] = settings.learning_rate * (1 - 0.9 * step / len(batches))
        loss = summary_loss(model, ids, mask, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        losses.append(float(loss.detach()))
        seen += len(ids)
        steps += 1
        if steps % 5 == 0:
            rate = elapsed / steps
            left = min(settings.budget_seconds - elapsed, rate * (len(batches) - steps))
            progress(
                f"summarizer: {seen}/{len(examples) * settings.epochs} examples, "
                f"loss {sum(losses[-5:]) / 5:.3f}, {elapsed:.0f} s, about {max(left, 0):.0f} s left"
            )
    model.eval()
    return FineTuneReport(seen, len(examples), steps, time.monotonic() - started, losses, stopped)


_SPACE_RE = re.compile(r"\s+")


@functools.cache
def line_break_ids(tokenizer: Any) -> frozenset[int]:
    """The vocabulary's tokens that hold a line break."""
    return frozenset(i for i in tokenizer.get_vocab().values() if "\n" in tokenizer.decode([i]))


@torch.no_grad()
def generate(
    model: Any,
    tokenizer: Any,
    transcripts: Sequence[str],
    settings: NeuralSettings,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> list[str]:
    """One summary per transcript: greedy, continuously batched (`continuous_decoding`),
    prompts taken shortest first (less padding)."""
    prompts = [prompt_ids(tokenizer, t, settings.max_chat_tokens) for t in transcripts]
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    constraints = None
    if settings.constrained:
        vocabulary = constraint_vocabulary(tokenizer)
        constraints = [TranscriptConstraint(vocabulary, transcripts[i]) for i in order]
    continuations = greedy_continuations(
        model,
        [prompts[i] for i in order],
        tokenizer.pad_token_id,
        settings.max_new_tokens,
        tokenizer.eos_token_id,
        line_break_ids(tokenizer),
        constraints,
        batch_size=settings.generate_batch,
        progress=progress,
    )
    out: list[str] = [""] * len(prompts)
    for tokens, i in zip(continuations, order, strict=True):
        text = tokenizer.decode(tokens, skip_special_tokens=True)
        out[i] = _SPACE_RE.sub(" ", text.split("\n")[0]).strip()
    return out


def merged_for_generation(model: Any) -> Any:
    """The fine-tuned model with its adapters merged in."""
    return merge_lora(model).eval()
