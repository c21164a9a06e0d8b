"""The assistant's commands: `hashira summarize FILE` and `hashira bench assistant`.

`bench_app` is a Typer sub-app, so other domains add `hashira bench <name>` commands to it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

bench_app = typer.Typer(help="Measure speed and quality; results are written as JSON.")


def _err(message: str) -> None:
    typer.echo(message, err=True)


def summarize(
    file: Annotated[
        Path, typer.Argument(help="A transcript: 'Customer: ...' / 'Agent: ...' lines.")
    ],
    backend: Annotated[
        str, typer.Option(help="model (MLflow champion or --model-dir), llm or extractive.")
    ] = "model",
    model_dir: Annotated[
        Path | None, typer.Option(help="A saved summarizer or any local seq2seq model folder.")
    ] = None,
) -> None:
    """Summarize one support-conversation transcript."""
    from hashira_assets.assistant.summarizers import (
        ExtractiveSummarizer,
        LLMSummarizer,
        load_summarizer,
    )
    from resources.model_packages import offline_models

    offline_models()
    if not file.exists():
        _err(f"error: {file} does not exist")
        raise typer.Exit(code=2)
    from hashira_serving.summaries import checked_transcript

    try:
        transcript, notices = checked_transcript(file.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        _err(f"error: {file} is not a UTF-8 text file")
        raise typer.Exit(code=2) from exc
    except ValueError as exc:
        message = "is empty" if "first" in str(exc) else "is not a text conversation"
        _err(f"error: {file} {message}")
        raise typer.Exit(code=2) from exc
    for notice in notices:
        _err(f"notice: {notice}")
    if backend == "extractive":
        summarizer = ExtractiveSummarizer()
    elif backend == "llm":
        from resources.llm import LLMResource

        summarizer = LLMSummarizer(
            LLMResource(google_api_key=os.environ.get("GOOGLE_API_KEY") or None).get_provider()
        )
    elif backend == "model" and model_dir is not None:
        summarizer = load_summarizer(model_dir)
    elif backend == "model":
        from hashira_serving import summaries

        summarizer, label = summaries.summarizer()
        if label == summaries.BASELINE_LABEL:
            _err(
                "notice: no trained summarizer yet (materialize summarizer_model); "
                "using the extractive baseline"
            )
    else:
        _err(f"error: unknown backend {backend!r}; use model, llm or extractive")
        raise typer.Exit(code=2)
    result = summarizer.summarize(transcript)
    typer.echo(result.summary)
    typer.echo(f"issue category: {result.issue_category}")
    typer.echo(f"resolution: {result.resolution}")
    typer.echo(f"sentiment: {result.sentiment}")
    if result.note:
        _err(f"notice: {result.note}")
    _err(f"(summarizer: {summarizer.name})")


@bench_app.command("assistant")
def bench_assistant(
    preset: Annotated[str, typer.Option(help="World size to generate.")] = "tiny",
    json_out: Annotated[Path, typer.Option("--json", help="Where to write the results.")] = Path(
        "bench/results/assistant.json"
    ),
    raw: Annotated[
        Path | None, typer.Option(help="Use this generated raw folder instead of generating.")
    ] = None,
    seed: Annotated[int, typer.Option(help="World and question seed.")] = 42,
    n_retrieval: Annotated[int, typer.Option(help="Retrieval questions.")] = 150,
    n_chat: Annotated[int, typer.Option(help="Chat questions about one product's facts.")] = 30,
    n_off: Annotated[int, typer.Option(help="Off-catalog chat questions.")] = 15,
    n_multi: Annotated[int, typer.Option(help="Three-turn comparison conversations.")] = 3,
    support_dev: Annotated[
        Path,
        typer.Option(help="Hand-written support chats with references.json (never trained on)."),
    ] = Path("../shared/support_dev"),
    time_all_summaries: Annotated[
        bool, typer.Option(help="Also time summarizing every conversation of the world.")
    ] = True,
    summarizer_budget: Annotated[
        float | None, typer.Option(help="Fine-tuning seconds (default: the preset's budget).")
    ] = None,
    llm_threads: Annotated[int, typer.Option(help="Torch threads for the local LLM.")] = 1,
    parts: Annotated[
        str, typer.Option(help="Comma-separated: retrieval, chat, shopper, general, summaries.")
    ] = "retrieval,chat,shopper,general,summaries",
    shopper_questions: Annotated[
        Path, typer.Option(help="A shopper question set with properties (see docs/CHAT.md).")
    ] = Path("../shared/shopper_questions/questions.json"),
    shopper_json: Annotated[
        Path | None, typer.Option(help="Also write the shopper-set grades (every answer) here.")
    ] = None,
    catalog_only: Annotated[
        bool, typer.Option(help="Generate only products and FAQs (all the chat needs).")
    ] = False,
) -> None:
    """Retrieval recall@5/MRR, chat fact accuracy, shopper-set grades, TTFT and summary ROUGE."""
    import lancedb

    from hashira_assets.assistant.chat import ChatEngine
    from hashira_assets.assistant.evaluation import (
        described_questions,
        evaluate_chat,
        evaluate_retrieval,
        retrieval_questions,
    )
    from hashira_assets.assistant.summarizer_training import PRESET_BUDGETS
    from hashira_assets.assistant.summary_evaluation import evaluate_summaries
    from hashira_assets.index.documents import load_product_documents
    from hashira_assets.index.search import ProductSearch
    from hashira_assets.index.store import sync_product_index
    from hashira_assets.raw.generate import generate_world
    from hashira_assets.raw.world_config import WorldConfigError, make_config
    from resources.llm import LLMResource
    from resources.model_packages import offline_models

    offline_models()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        if raw is None:
            try:
                config = make_config(preset, seed=seed)
            except WorldConfigError as exc:
                _err(f"error: {exc}")
                raise typer.Exit(code=2) from exc
            _err(f"generating the {preset!r} world" + (" (catalog only)" if catalog_only else ""))
            if catalog_only:
                from hashira_assets.assistant.bench_world import write_catalog

                raw_dir = write_catalog(config, Path(tmp) / "raw")
            else:
                raw_dir = generate_world(config, Path(tmp) / "raw").out_dir
        else:
            raw_dir = raw
        documents = load_product_documents(raw_dir)
        start = time.perf_counter()
        db = lancedb.connect(str(Path(tmp) / "lancedb"))
        sync_product_index(db, "product_index", documents)
        index_s = time.perf_counter() - start
        search = ProductSearch(db.open_table("product_index"))
        products = documents.to_pylist()
        wanted = {p.strip() for p in parts.split(",") if p.strip()}
        retrieval = described = chat = summaries = shopper = general = None
        if "retrieval" in wanted:
            _err(f"index built in {index_s:.1f}s; retrieval")
            retrieval = evaluate_retrieval(search, retrieval_questions(products, n_retrieval, seed))
            described = evaluate_retrieval(search, described_questions(products, n_retrieval, seed))
        provider = None
        if wanted & {"chat", "shopper", "general"}:
            _err("loading the LLM")
            start = time.perf_counter()
            provider = LLMResource(provider="local", num_threads=llm_threads).get_provider()
            load_s = time.perf_counter() - start
            engine = ChatEngine(search, provider)
        if "chat" in wanted:
            _err("chat")
            chat = evaluate_chat(engine, products, n_chat, n_off, n_multi, seed, log=_err)
            chat["llm_load_s"] = load_s
        if "shopper" in wanted and shopper_questions.exists():
            from hashira_assets.assistant.chat import ChatSession
            from hashira_assets.assistant.shopper_grading import (
                grade_question_set,
                load_question_set,
            )

            _err(f"shopper questions from {shopper_questions}")
            start = time.perf_counter()
            shopper = grade_question_set(
                engine.ask, ChatSession, load_question_set(shopper_questions), products
            )
            shopper["seconds"] = time.perf_counter() - start
            shopper["source"] = str(shopper_questions)
        if "general" in wanted:
            from hashira_assets.assistant.chat import ChatSession
            from hashira_assets.assistant.general_evaluation import evaluate_general

            general = evaluate_general(
                lambda q: engine.ask(ChatSession(), q), products, raw_dir, seed, log=_err
            )
        if "summaries" in wanted:
            _err("summaries")
            budget = PRESET_BUDGETS.get(preset, PRESET_BUDGETS["small"])
            if summarizer_budget is not None:
                budget = dataclasses.replace(
                    budget,
                    neural=dataclasses.replace(budget.neural, budget_seconds=summarizer_budget),
                )
            summaries = evaluate_summaries(
                raw_dir, budget, seed, support_dev, time_all_summaries, log=_err
            )
    result = {
        "preset": preset if raw is None else f"raw:{raw}",
        "seed": seed,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "products": len(products),
        "index_build_s": index_s,
        "retrieval": retrieval,
        "retrieval_described": described,
        "chat": chat,
        "shopper_questions": (
            {k: v for k, v in shopper.items() if k != "answers"} if shopper else None
        ),
        "general_questions": general,
        "summaries": summaries,
        "total_s": time.perf_counter() - started,
    }
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(json.dumps(result, indent=2, default=str))
    if shopper and shopper_json is not None:
        shopper_json.parent.mkdir(parents=True, exist_ok=True)
        shopper_json.write_text(json.dumps(shopper, indent=2, default=str))
    for label, r in (("named", retrieval), ("described (no name)", described)):
        if r is None:
            continue
        typer.echo(
            f"{label} recall@5 vector/fts/hybrid: "
            + " / ".join(f"{r[m]['recall@5']:.3f}" for m in ("vector", "fts", "hybrid"))
            + "; MRR: "
            + " / ".join(f"{r[m]['mrr']:.3f}" for m in ("vector", "fts", "hybrid"))
        )
    if chat:
        typer.echo(
            f"chat: asked fact right for the asked product in the main sentence "
            f"{chat['asked_fact_correct_main_share']:.3f} (paraphrases "
            f"{chat['asked_fact_correct_main_share_paraphrase']:.3f}), constraints met by all "
            f"cited {chat['constraint_all_cited_satisfy_share']:.3f}, model text kept "
            f"{chat['llm_answer_kept_share']:.3f}, off-catalog IDK "
            f"{chat['off_catalog_idk_share']:.3f}, TTFT median {chat['ttft_s_median']}, "
            f"tokens/s {chat['tokens_per_s']}"
        )
    if shopper:
        typer.echo(
            f"shopper questions: single {shopper['single_pass_share']:.3f} of "
            f"{shopper['single_questions']}, conversation turns "
            f"{shopper['conversation_turn_pass_share']:.3f} of {shopper['conversation_turns']}, "
            f"degenerate {shopper['degenerate_answers']}, model text kept "
            f"{shopper['llm_kept_share']:.3f}"
        )
    if general:
        typer.echo(
            f"general questions: definitions {general['definition_pass_share']:.3f}, "
            f"differences {general['difference_pass_share']:.3f}, care "
            f"{general['care_pass_share']:.3f}, off-shop declined {general['off_pass_share']:.3f}"
        )
    if summaries:
        for name, figures in summaries["sets"].items():
            model, lead = figures["model"], figures["extractive_baseline"]
            typer.echo(
                f"summaries, {name} ({figures['n']}): ROUGE-L {model['rougeL']:.3f} vs extractive "
                f"{lead['rougeL']:.3f} vs template {figures['template_model']['rougeL']:.3f}; "
                f"category {model['category_accuracy']:.3f}; faithful {model['faithfulness']:.3f}"
                f" (fell back {model['fallback_share']:.3f})"
            )
    typer.echo(f"wrote {json_out}")
