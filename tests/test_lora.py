"""The LoRA adapters on a small stand-in network (the real model is exercised in the assets)."""

import torch
from torch import nn

from hashira_assets.assistant.lora import add_lora, load_lora, lora_state, merge_lora


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj = nn.Linear(6, 6)
        self.down_proj = nn.Linear(6, 4)
        self.other = nn.Linear(4, 4)

    def forward(self, x):
        return self.other(self.down_proj(torch.relu(self.q_proj(x))))


def _trained_adapters(model: nn.Module) -> list[nn.Parameter]:
    trainable = add_lora(model, rank=2, alpha=4.0)
    optimizer = torch.optim.SGD(trainable, lr=0.5)
    x, y = torch.randn(32, 6), torch.randn(32, 4)
    for _ in range(30):
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return trainable


def test_adapters_start_as_identity_and_only_they_train():
    torch.manual_seed(0)
    model = Block()
    x = torch.randn(5, 6)
    before = model(x).detach()
    frozen = {k: v.clone() for k, v in model.state_dict().items()}
    trainable = add_lora(model, rank=2, alpha=4.0)
    assert torch.allclose(model(x), before)  # B starts at zero
    assert len(trainable) == 4  # q_proj and down_proj, A and B each
    optimizer = torch.optim.SGD(trainable, lr=0.5)
    for _ in range(10):
        loss = model(x).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert not torch.allclose(model(x), before)
    state = model.state_dict()
    for key, value in frozen.items():
        adapted = key.replace("q_proj.", "q_proj.base.").replace("down_proj.", "down_proj.base.")
        assert torch.equal(state[adapted], value), key


def test_merged_and_reloaded_models_match_the_trained_one():
    torch.manual_seed(1)
    model = Block()
    base = {k: v.clone() for k, v in model.state_dict().items()}
    _trained_adapters(model)
    x = torch.randn(7, 6)
    expected = model(x).detach()
    saved = lora_state(model)
    assert set(saved) == {
        "q_proj.lora_a", "q_proj.lora_b", "down_proj.lora_a", "down_proj.lora_b"
    }  # fmt: skip
    reloaded = Block()
    reloaded.load_state_dict(base)
    load_lora(reloaded, saved, rank=2, alpha=4.0)
    assert torch.allclose(reloaded(x), expected, atol=1e-6)
    merged = merge_lora(reloaded)
    assert isinstance(merged.q_proj, nn.Linear)
    assert torch.allclose(merged(x), expected, atol=1e-5)


def test_adapters_on_a_bfloat16_base_keep_float32_weights_that_train():
    torch.manual_seed(2)
    model = Block().to(torch.bfloat16)
    trainable = add_lora(model, rank=2, alpha=4.0)
    optimizer = torch.optim.SGD(trainable, lr=0.5)
    x = torch.randn(8, 6, dtype=torch.bfloat16)
    before = model(x).detach()
    for _ in range(5):
        loss = model(x).float().pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert all(p.dtype == torch.float32 and p.grad.dtype == torch.float32 for p in trainable)
    assert model(x).dtype == torch.bfloat16
    assert not torch.allclose(model(x), before)


def test_the_summary_loss_is_the_models_own_loss_on_the_labeled_tokens():
    from hashira_assets.assistant.neural_summarizer import summary_loss
    from tests.tiny_llama import tiny_llama

    model = tiny_llama(3).train()
    ids = torch.randint(1, 64, (3, 12))
    mask = torch.ones_like(ids)
    mask[2, 9:] = 0  # a right-padded row
    labels = ids.clone()
    labels[:, :7] = -100  # the prompt
    labels[2, 9:] = -100
    expected = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    assert torch.allclose(summary_loss(model, ids, mask, labels), expected, atol=1e-6)
