"""The neural summarizer: the bundled SmolLM2-135M, de-quantized from its GGUF and fine-tuned
with LoRA on the training conversations to write the summary itself.

Training is bounded by a time budget (the sample it reaches is recorded), runs in bfloat16 where
the CPU has it natively (float32 elsewhere) with float32 adapters, and teaches only the summary
tokens (the prompt's loss is masked). Generation is batched, greedy, on length-sorted batches;
the adapters are merged into the weights first.
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
    generate_batch: int = 16
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
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
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


@torch.no_grad()
def greedy_continuations(
    model: Any,
    ids: torch.Tensor,
    mask: torch.Tensor,
    max_new_tokens: int,
    end_id: int,
    line_break_ids: frozenset[int] = frozenset(),
    constraints: Sequence[TranscriptConstraint] | None = None,
) -> list[list[int]]:
    """Greedy continuations of a left-padded batch: each ends before the end token, or with the
    first token that holds a line break (only the first line is wanted).

    What `model.generate` does greedily, except that a row leaves the batch (and its cache rows
    with it) as soon as it stops: a batch costs its rows' own lengths, not its longest row's
    times the batch (summaries vary from a dozen tokens to the limit). With `constraints` (one
    per row), each row writes only what its constraint allows."""
    rows = list(range(ids.shape[0]))
    out: list[list[int]] = [[] for _ in rows]
    # Left padding: positions count from each row's first real token, as `generate` does.
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    step = model(
        input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, logits_to_keep=1
    )
    cache = step.past_key_values
    for _ in range(max_new_tokens):
        logits = step.logits[:, -1]
        if constraints is not None:
            for slot, row in enumerate(rows):
                constraints[row].restrict(logits[slot])
        tokens = logits.argmax(-1)
        keep = []
        for slot, (row, token) in enumerate(zip(rows, tokens.tolist(), strict=True)):
            if token == end_id:
                continue
            out[row].append(token)
            if constraints is not None:
                constraints[row].advance(token)
            if token not in line_break_ids:
                keep.append(slot)
        if not keep or len(out[rows[keep[0]]]) >= max_new_tokens:
            break
        if len(keep) < len(rows):
            index = torch.tensor(keep)
            cache.batch_select_indices(index)
            tokens, mask, positions = tokens[index], mask[index], positions[index]
            rows = [rows[slot] for slot in keep]
        mask = torch.cat([mask, mask.new_ones((len(rows), 1))], dim=1)
        positions = positions[:, -1:] + 1
        step = model(
            input_ids=tokens[:, None],
            attention_mask=mask,
            position_ids=positions,
            past_key_values=cache,
            use_cache=True,
        )
        cache = step.past_key_values
    return out


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
    """One summary per transcript: greedy, batched by prompt length, left-padded."""
    prompts = [prompt_ids(tokenizer, t, settings.max_chat_tokens) for t in transcripts]
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    out: list[str] = [""] * len(prompts)
    pad = tokenizer.pad_token_id
    breaks = line_break_ids(tokenizer)
    vocabulary = constraint_vocabulary(tokenizer) if settings.constrained else None
    done = 0
    for start in range(0, len(order), settings.generate_batch):
        part = order[start : start + settings.generate_batch]
        width = max(len(prompts[i]) for i in part)
        ids = torch.tensor([[pad] * (width - len(prompts[i])) + prompts[i] for i in part])
        mask = torch.tensor([[0] * (width - len(prompts[i])) + [1] * len(prompts[i]) for i in part])
        constraints = (
            [TranscriptConstraint(vocabulary, transcripts[i]) for i in part]
            if settings.constrained
            else None
        )
        continuations = greedy_continuations(
            model, ids, mask, settings.max_new_tokens, tokenizer.eos_token_id, breaks, constraints
        )
        for tokens, i in zip(continuations, part, strict=True):
            text = tokenizer.decode(tokens, skip_special_tokens=True)
            out[i] = _SPACE_RE.sub(" ", text.split("\n")[0]).strip()
        done += len(part)
        progress(done, len(prompts))
    return out


def merged_for_generation(model: Any) -> Any:
    """The fine-tuned model with its adapters merged in."""
    return merge_lora(model).eval()
