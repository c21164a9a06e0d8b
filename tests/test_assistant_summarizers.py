"""Summarizer backends, the labeler and the fact-checked support summarizer on the tiny world."""

import dataclasses

import pytest

from hashira_assets.assistant.summaries import load_conversations, summarize_incrementally
from hashira_assets.assistant.summarizer_training import (
    PRESET_BUDGETS,
    evaluate_summarizer,
    split_conversations,
)
from hashira_assets.assistant.summarizers import (
    ExtractiveSummarizer,
    LLMSummarizer,
    TemplateSummarizer,
    parse_structured_summary,
)
from hashira_assets.assistant.summary_evaluation import _template_model
from hashira_assets.assistant.support_labels import NEEDS_REVIEW, SupportLabeler
from hashira_assets.assistant.support_summarizer import SupportSummarizer
from hashira_assets.index.documents import read_table


@pytest.fixture(scope="module")
def split(tiny_world):
    return split_conversations(load_conversations(tiny_world.out_dir))


@pytest.fixture(scope="module")
def names(tiny_world):
    return read_table(tiny_world.out_dir, "products")["name"].to_pylist()


@pytest.fixture(scope="module")
def trained(split, names):
    return _template_model(split["train"], names, seed=0)


@pytest.fixture(scope="module")
def labeler(split):
    train = split["train"]
    return SupportLabeler().fit(
        [c["transcript"] for c in train],
        [c["issue_category"] for c in train],
        [c["resolution_type"] for c in train],
        [c["sentiment"] for c in train],
    )


def test_splits_are_disjoint_and_all_present(split):
    assert all(split[name] for name in ("train", "phrasing", "agents"))
    ids = [c["conversation_id"] for part in split.values() for c in part]
    assert len(ids) == len(set(ids))


def test_labeler_is_right_on_held_out_agents_and_says_when_unsure(labeler, split):
    heldout = split["agents"]
    labels = labeler.label_batch([c["transcript"] for c in heldout])
    right = sum(
        label.issue_category == c["issue_category"]
        for label, c in zip(labels, heldout, strict=True)
    )
    assert right / len(heldout) > 0.7
    assert all(0 < label.category_confidence <= 1 for label in labels)
    labeler_strict = SupportLabeler(min_confidence=1.01)
    labeler_strict.models = labeler.models
    assert {x.issue_category for x in labeler_strict.label_batch([heldout[0]["transcript"]])} == {
        NEEDS_REVIEW
    }


def test_a_summary_with_an_invented_fact_falls_back_and_says_so(labeler, split, names):
    chat = split["phrasing"][0]

    def inventor(transcripts):
        return ["The agent refunded 999.99 on order HM-1 for the katana." for _ in transcripts]

    out = SupportSummarizer(inventor, labeler, names).summarize(chat["transcript"])
    assert out.faithful is False and out.summary.startswith("Customer: ")
    assert "number '999.99'" in out.note and "action 'refund'" in out.note

    def copier(transcripts):
        return [t.splitlines()[0].split(": ", 1)[1] for t in transcripts]

    kept = SupportSummarizer(copier, labeler, names).summarize(chat["transcript"])
    assert kept.faithful is True and kept.note == ""
    assert kept.summary == chat["transcript"].splitlines()[0].split(": ", 1)[1]


def test_template_baseline_still_trains_and_round_trips(trained, split, tmp_path):
    scores = evaluate_summarizer(trained, split["agents"])
    assert scores["rougeL"] > evaluate_summarizer(ExtractiveSummarizer(), split["agents"])["rougeL"]
    loaded = TemplateSummarizer.load(trained.save(tmp_path / "m"))
    transcripts = [c["transcript"] for c in split["phrasing"][:5]]
    assert loaded.summarize_batch(transcripts) == trained.summarize_batch(transcripts)


def test_incremental_summaries_only_do_new_conversations(trained, split):
    conversations = split["train"]
    saved = []
    table, done = summarize_incrementally(
        conversations[:10], None, trained, "1", batch_size=4,
        checkpoint=lambda partial, n, total: saved.append((partial.num_rows, n, total)),
    )  # fmt: skip
    assert (table.num_rows, done) == (10, 10)
    assert saved == [(4, 4, 10), (8, 8, 10), (10, 10, 10)]
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
def test_the_bundled_model_fine_tunes_and_round_trips(split, labeler, names, tmp_path):
    from hashira_assets.assistant.lora import lora_state
    from hashira_assets.assistant.neural_summarizer import (
        fine_tune,
        generate,
        load_base_model,
        merged_for_generation,
    )
    from hashira_assets.assistant.support_summarizer import (
        load_support_summarizer,
        save_support_summarizer,
    )

    settings = dataclasses.replace(
        PRESET_BUDGETS["tiny"].neural, max_examples=4, batch_size=2, max_new_tokens=16
    )
    model, tokenizer = load_base_model()
    examples = [(c["transcript"], c["reference_summary"]) for c in split["train"][:4]]
    report = fine_tune(model, tokenizer, examples, settings)
    assert report.examples_seen == 4 and report.steps == 2 and report.losses[0] > 0
    adapters = lora_state(model)
    model = merged_for_generation(model)
    transcripts = [c["transcript"] for c in split["phrasing"][:2]]
    written = generate(model, tokenizer, transcripts, settings)
    assert len(written) == 2 and all(isinstance(w, str) for w in written)
    folder = save_support_summarizer(tmp_path / "s", adapters, settings, labeler, names)
    again = load_support_summarizer(folder)
    assert again.writer(transcripts) == written


@pytest.mark.slow
def test_local_llm_summarizer_one_batch(local_llm, split):
    out = LLMSummarizer(local_llm, max_new_tokens=12).summarize_batch(
        [split["phrasing"][0]["transcript"], split["phrasing"][1]["transcript"]]
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
