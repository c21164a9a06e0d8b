"""Shared fixtures of the index and assistant tests: one tiny product index and one local LLM."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_documents(tiny_world):
    from hashira_assets.index.documents import load_product_documents

    return load_product_documents(tiny_world.out_dir)


@pytest.fixture(scope="session")
def tiny_index(tiny_world, tiny_documents, tmp_path_factory):
    """A LanceDB product index of the tiny world (real MiniLM embeddings)."""
    import lancedb

    from hashira_assets.index.search import ProductSearch
    from hashira_assets.index.store import sync_product_index

    db = lancedb.connect(str(tmp_path_factory.mktemp("lancedb")))
    sync_product_index(db, "product_index", tiny_documents)
    return ProductSearch(db.open_table("product_index"))


@pytest.fixture(scope="session")
def local_llm():
    """The bundled SmolLM2, loaded once for the session."""
    from resources.llm import LLMResource

    return LLMResource(provider="local", num_threads=1).get_provider()
