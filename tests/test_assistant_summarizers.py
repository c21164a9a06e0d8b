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
