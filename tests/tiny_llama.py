"""A small random Llama (the bundled model's family) for tests of decoding and training code."""

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def tiny_llama(seed: int, **config) -> LlamaForCausalLM:
    """A 2-layer Llama over a 64-token vocabulary, in evaluation mode."""
    torch.manual_seed(seed)
    settings = {
        "vocab_size": 64,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        **config,
    }
    return LlamaForCausalLM(LlamaConfig(**settings)).eval()
