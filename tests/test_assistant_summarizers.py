"""Summarizer backends on the tiny world's conversations."""

import pytest

from hashira_assets.assistant.summaries import (
    baseline_scores,
    evaluate_summarizer,
    load_conversations,
    split_conversations,
    summarize_incrementally,
    train_summarizer,
)
from hashira_assets.assistant.summarizers import (
    ExtractiveSummarizer,
    LLMSummarizer,
    TemplateSummarizer,
    parse_structured_summary,
)
from hashira_assets.index.documents import read_table


@pytest.fixture(scope="module")
def split(tiny_world):
    return split_conversations(load_conversations(tiny_world.out_dir))


@pytest.fixture(scope="module")
def trained(tiny_world, split):
    names = read_table(tiny_world.out_dir, "products")["name"].to_pylist()
    return train_summarizer(split[0], names, max_train=100, seed=0)


def test_split_uses_disjoint_phrasing_sets(split):
    train, heldout = split
    assert train and heldout
    assert {c["phrasing_set"] for c in train} == {"A"} and {c["phrasing_set"] for c in heldout} == {
        "B"
    }


def test_trained_model_beats_lead_baseline_on_heldout(trained, split):
    scores = evaluate_summarizer(trained, split[1])
    baseline = baseline_scores(split[1])
    assert trained.train_size == 100
    assert scores["rougeL"] > baseline["rougeL"]
    assert scores["category_accuracy"] > 0.8


def test_save_load_round_trip(trained, split, tmp_path):
    loaded = TemplateSummarizer.load(trained.save(tmp_path / "m"))
    transcripts = [c["transcript"] for c in split[1][:5]]
    assert loaded.summarize_batch(transcripts) == trained.summarize_batch(transcripts)


def test_incremental_summaries_only_do_new_conversations(trained, split):
    conversations = split[1]
    table, done = summarize_incrementally(conversations[:10], None, trained, "1")
    assert (table.num_rows, done) == (10, 10)
    table2, done2 = summarize_incrementally(conversations[:15], table, trained, "1")
    assert (table2.num_rows, done2) == (15, 5)
    _, done3 = summarize_incrementally(conversations[:15], table2, trained, "2")
    assert done3 == 15  # a new model version summarizes everything again


def test_extractive_and_structured_parsing():
    transcript = (
        "Customer: My katana is cracked. It is bad.\nAgent: I sent a replacement.\nCustomer: Great!"
    )
    s = ExtractiveSummarizer(2).summarize(transcript)
    assert s.summary == "My katana is cracked. It is bad."
    assert s.issue_category == "defect" and s.sentiment == "positive"
    text = "Issue: blade broke\nResolution: replaced.\nFollow-up: none"
    assert parse_structured_summary(text) == (
        "Issue: blade broke. Resolution: replaced. Follow-up: none."
    )


@pytest.mark.slow
def test_local_llm_summarizer_one_batch(local_llm, split):
    out = LLMSummarizer(local_llm, max_new_tokens=12).summarize_batch(
        [split[1][0]["transcript"], split[1][1]["transcript"]]
    )
    assert len(out) == 2 and all(o.summary for o in out)


def _tiny_t5_folder(folder):
    """A one-layer T5 with a word-level tokenizer, built and saved locally: a real transformers
    seq2seq model folder, like a fine-tuned Flan-T5, with no hub access."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, T5Config, T5ForConditionalGeneration

    words = Tokenizer(models.WordLevel(unk_token="<unk>"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    words.train_from_iterator(
        ["summarize: Customer: my katana broke. Agent: we will replace it. Issue: none"],
        trainers.WordLevelTrainer(special_tokens=["<pad>", "</s>", "<unk>"]),
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=words, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    )
    tokenizer.save_pretrained(folder)
    config = T5Config(
        vocab_size=tokenizer.vocab_size, d_model=16, d_ff=32, num_layers=1, num_heads=2, d_kv=8,
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=1,
    )  # fmt: skip
    T5ForConditionalGeneration(config).save_pretrained(folder)
    return tokenizer


def test_seq2seq_backend_runs_a_local_model_folder_batched(tmp_path):
    import torch

    from hashira_assets.assistant.summarizers import Seq2SeqSummarizer, _fields_from_text

    tokenizer = _tiny_t5_folder(tmp_path)
    summarizer = Seq2SeqSummarizer(tmp_path, max_new_tokens=6, batch_size=2)
    transcripts = [
        "Customer: my katana broke.\nAgent: we will replace it.",
        "Customer: where is my order?\nAgent: it ships tomorrow.",
        "Customer: my katana broke again.\nAgent: we will replace it.",
    ]
    results = summarizer.summarize_batch(transcripts)
    assert len(results) == 3
    # Each summary is the model's own greedy decode of its transcript (batching changes nothing).
    for transcript, result in zip(transcripts, results, strict=True):
        inputs = tokenizer([f"summarize: {transcript}"], return_tensors="pt")
        with torch.inference_mode():
            out = summarizer.model.generate(**inputs, max_new_tokens=6, do_sample=False)
        expected = tokenizer.decode(out[0], skip_special_tokens=True).strip()
        assert result == _fields_from_text(expected, transcript)
    assert summarizer.name == f"seq2seq:{tmp_path.name}"
