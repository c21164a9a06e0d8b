"""Greedy decoding with continuous batching.

Summaries end after a dozen tokens or after the limit. In a fixed batch, rows that end leave
and the batch shrinks, and a decoding step costs nearly as much for a few rows as for many (it
is bound by reading the weights). Here a row that ends leaves, and waiting prompts are prefilled
and join the running batch (their caches left-padded to one length), so the batch stays full
until the prompts run out.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import torch

from hashira_assets.assistant.constrained_decoding import TranscriptConstraint


@dataclasses.dataclass
class _Running:
    """The rows being decoded: their prompts' indices, cache, mask, next positions and the
    logits of their next token."""

    rows: list[int]
    cache: Any
    mask: torch.Tensor  # [rows, cached length], 1 where a real token is cached
    positions: torch.Tensor  # [rows, 1], the next token's position
    logits: torch.Tensor  # [rows, vocabulary]


def _prefill(model: Any, prompts: Sequence[list[int]], rows: list[int], pad_id: int) -> _Running:
    width = max(map(len, prompts))
    ids = torch.tensor([[pad_id] * (width - len(p)) + list(p) for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    # Left padding: positions count from each row's first real token, as `generate` does.
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    step = model.get_decoder()(
        input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True
    )
    # The head on the last positions only, taken as a 2-D matrix. (`logits_to_keep=1` gives a
    # strided 3-D slice, and with frozen weights torch multiplies it by a copy of the
    # 49k x 576 head per row: 2.7x the whole prefill's time.)
    logits = model.get_output_embeddings()(step.last_hidden_state[:, -1])
    return _Running(rows, step.past_key_values, mask, positions[:, -1:] + 1, logits)


def _left_pad(tensor: torch.Tensor, width: int, dim: int) -> torch.Tensor:
    missing = width - tensor.shape[dim]
    if missing == 0:
        return tensor
    shape = list(tensor.shape)
    shape[dim] = missing
    return torch.cat([tensor.new_zeros(shape), tensor], dim=dim)


def _join(running: _Running, joining: _Running) -> _Running:
    """Both batches as one: the shorter cache is left-padded (masked) to the longer's length."""
    width = max(running.mask.shape[1], joining.mask.shape[1])
    for mine, theirs in zip(running.cache.layers, joining.cache.layers, strict=True):
        mine.keys = torch.cat([_left_pad(mine.keys, width, 2), _left_pad(theirs.keys, width, 2)])
        mine.values = torch.cat(
            [_left_pad(mine.values, width, 2), _left_pad(theirs.values, width, 2)]
        )
    return _Running(
        running.rows + joining.rows,
        running.cache,
        torch.cat([_left_pad(running.mask, width, 1), _left_pad(joining.mask, width, 1)]),
        torch.cat([running.positions, joining.positions]),
        torch.cat([running.logits, joining.logits]),
    )


def _keep(running: _Running, slots: list[int]) -> _Running:
    """Only the rows in `slots`; cache columns that are padding for all of them are dropped."""
    index = torch.tensor(slots)
    running.cache.batch_select_indices(index)
    mask = running.mask[index]
    first = int(mask.any(0).to(torch.int8).argmax())
    if first:
        for layer in running.cache.layers:
            layer.keys, layer.values = layer.keys[:, :, first:], layer.values[:, :, first:]
        mask = mask[:, first:]
    rows = [running.rows[slot] for slot in slots]
    return _Running(rows, running.cache, mask, running.positions[index], running.logits[index])


@torch.no_grad()
def greedy_continuations(
    model: Any,
    prompts: Sequence[list[int]],
    pad_id: int,
    max_new_tokens: int,
    end_id: int,
    line_break_ids: frozenset[int] = frozenset(),
    constraints: Sequence[TranscriptConstraint] | None = None,
    batch_size: int = 32,
    refill_at: int | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> list[list[int]]:
    """Greedy continuations of `prompts` (token ids), taken in the order given: each ends before
    the end token, or with the first token that holds a line break (only the first line is
    wanted), or at `max_new_tokens`. With `constraints` (one per prompt), each row writes only
    what its constraint allows.

    At most `batch_size` rows decode together; when `refill_at` or fewer are left (default: three
    quarters of the batch), waiting prompts join. `progress(ended, total)` is called as rows end.
    """
    refill_at = batch_size * 3 // 4 if refill_at is None else refill_at
    out: list[list[int]] = [[] for _ in prompts]
    waiting = deque(range(len(prompts)))
    running: _Running | None = None
    ended = 0
    while waiting or running is not None:
        if waiting and (running is None or len(running.rows) <= refill_at):
            free = batch_size - (len(running.rows) if running else 0)
            rows = [waiting.popleft() for _ in range(min(free, len(waiting)))]
            joining = _prefill(model, [prompts[r] for r in rows], rows, pad_id)
            running = joining if running is None else _join(running, joining)
        assert running is not None
        logits = running.logits
        if constraints is not None:
            for slot, row in enumerate(running.rows):
                constraints[row].restrict(logits[slot])
        tokens = logits.argmax(-1)
        going = []
        for slot, (row, token) in enumerate(zip(running.rows, tokens.tolist(), strict=True)):
            if token != end_id:
                out[row].append(token)
                if constraints is not None:
                    constraints[row].advance(token)
                if token not in line_break_ids and len(out[row]) < max_new_tokens:
                    going.append(slot)
        if len(going) < len(running.rows):
            ended += len(running.rows) - len(going)
            progress(ended, len(prompts))
            if not going:
                running = None
                continue
            tokens = tokens[torch.tensor(going)]
            running = _keep(running, going)
        mask = torch.cat([running.mask, running.mask.new_ones((len(running.rows), 1))], dim=1)
        step = model(
            input_ids=tokens[:, None],
            attention_mask=mask,
            position_ids=running.positions,
            past_key_values=running.cache,
            use_cache=True,
        )
        running.mask, running.logits = mask, step.logits[:, -1]
        running.positions = running.positions + 1
    return out
