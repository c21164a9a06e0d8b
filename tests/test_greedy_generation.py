"""The summarizer's greedy decoding, which keeps ended rows in the batch until waiting prompts
join (or a quarter have ended), writes exactly what `model.generate` writes greedily (on a small
random Llama in float32, the bundled model's family); its cache layers grow in place."""

import pytest
import torch

from hashira_assets.assistant.continuous_decoding import _GrowingLayer, greedy_continuations
from tests.tiny_llama import tiny_llama

PAD = 0


@pytest.fixture(scope="module")
def llama():
    # Larger weights than the default: greedy decoding of a random model then varies instead
    # of repeating one token.
    return tiny_llama(
        0, max_position_embeddings=128, tie_word_embeddings=True, initializer_range=0.3
    )


def left_padded(prompts: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(map(len, prompts))
    ids = torch.tensor([[PAD] * (width - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    return ids, mask


def reference(model, ids, mask, max_new_tokens: int, end_id: int | None) -> list[list[int]]:
    """`generate`'s greedy tokens per row, cut before the end token."""
    out = model.generate(
        input_ids=ids,
        attention_mask=mask,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        pad_token_id=PAD,
        eos_token_id=end_id,
    )[:, ids.shape[1] :].tolist()
    return [row[: row.index(end_id)] if end_id in row else row for row in out]


def test_rows_that_end_early_leave_the_batch_and_the_rest_match_generate(llama):
    generator = torch.Generator().manual_seed(3)
    prompts = [torch.randint(1, 64, (n,), generator=generator).tolist() for n in (5, 9, 3, 7)]
    ids, mask = left_padded(prompts)
    free = reference(llama, ids, mask, 12, end_id=None)
    # An end token that one row writes at its fourth step (and not before): that row stops
    # early, the others go on with a smaller batch.
    end_id = next(
        row[3] for row in free if row[3] not in row[:3] and any(row[3] not in r for r in free)
    )
    expected = reference(llama, ids, mask, 12, end_id=end_id)
    got = greedy_continuations(llama, prompts, PAD, 12, end_id)
    assert got == expected
    assert min(map(len, got)) < 12 <= max(map(len, got))


def test_a_line_break_token_ends_its_row_and_is_kept(llama):
    prompts = [[5, 6, 7], [9, 10, 11, 12]]
    free = reference(llama, *left_padded(prompts), 8, end_id=None)
    line_break = free[0][2]
    got = greedy_continuations(
        llama, prompts, PAD, 8, end_id=-1, line_break_ids=frozenset({line_break})
    )
    assert got[0] == free[0][: free[0].index(line_break) + 1]
    for row, tokens in zip(free, got, strict=True):
        cut = row.index(line_break) + 1 if line_break in row else len(row)
        assert tokens == row[:cut]


def test_waiting_prompts_join_the_running_batch_and_each_row_matches_generate_alone(llama):
    generator = torch.Generator().manual_seed(5)
    lengths = (4, 11, 2, 8, 6, 13, 3)
    prompts = [torch.randint(1, 64, (n,), generator=generator).tolist() for n in lengths]
    free = [reference(llama, *left_padded([p]), 10, end_id=None)[0] for p in prompts]
    # An end token some rows write early: they leave, and the prompts waiting take their slots
    # (joining with caches of other lengths than the running rows').
    end_id = next(t for row in free for t in row[2:5] if sum(t in r for r in free) < len(free))
    expected = [reference(llama, *left_padded([p]), 10, end_id=end_id)[0] for p in prompts]
    ended = []
    got = greedy_continuations(
        llama,
        prompts,
        PAD,
        10,
        end_id,
        batch_size=3,
        refill_at=2,
        progress=lambda done, total: ended.append((done, total)),
    )
    assert got == expected
    assert len({len(row) for row in got}) > 1
    assert ended[-1] == (len(prompts), len(prompts))
    assert [done for done, _ in ended] == sorted(done for done, _ in ended)


def test_a_growing_cache_layer_holds_what_concatenation_holds():
    generator = torch.Generator().manual_seed(0)

    def states(rows: int, columns: int) -> torch.Tensor:
        return torch.randn(rows, 2, columns, 4, generator=generator)

    layer, keys, values = _GrowingLayer(), states(3, 5), states(3, 5)
    got = layer.update(keys, values)
    for step in range(70):  # past the room allocated ahead, so the buffer grows
        new_keys, new_values = states(len(keys), 1), states(len(keys), 1)
        keys, values = torch.cat([keys, new_keys], 2), torch.cat([values, new_values], 2)
        got = layer.update(new_keys, new_values)
        assert torch.equal(got[0], keys) and torch.equal(got[1], values)
        if step == 30:  # rows dropped from outside, as the decoder does: copied at the next update
            layer.batch_select_indices(torch.tensor([0, 2]))
            keys, values = keys[[0, 2]], values[[0, 2]]
    assert layer.get_seq_length() == keys.shape[2]
