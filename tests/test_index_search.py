"""The LanceDB product index: incremental sync, search methods and filters (real MiniLM)."""

import lancedb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from hashira_assets.index import store
from hashira_assets.index.documents import product_documents, read_table
from hashira_assets.index.search import ProductSearch, SearchFilters
from hashira_assets.index.store import sync_product_index

pytestmark = pytest.mark.slow


def test_filters_build_escaped_predicates():
    f = SearchFilters(min_price=10, max_price=99.5, breathing_style="O'Brien", in_stock=True)
    assert f.where() == (
        "price >= 10.0 AND price <= 99.5 AND breathing_style = 'O''Brien' AND in_stock = true"
    )
    assert SearchFilters().where() is None


def test_every_method_finds_a_product_by_name(tiny_index, tiny_documents):
    row = tiny_documents.slice(5, 1).to_pylist()[0]
    for method in ("vector", "fts", "hybrid"):
        hits = tiny_index.search(row["name"], method, 5)
        assert row["product_id"] in [h.product_id for h in hits], method


def test_hybrid_is_at_least_as_good_as_either_method_on_described_questions(
    tiny_index, tiny_documents
):
    from hashira_assets.assistant.evaluation import described_questions, evaluate_retrieval

    questions = described_questions(tiny_documents.to_pylist(), 40, seed=3)
    result = evaluate_retrieval(tiny_index, questions)
    best_single = max(result["vector"]["recall@5"], result["fts"]["recall@5"])
    assert result["hybrid"]["recall@5"] >= best_single
    assert result["hybrid"]["recall@5"] >= 0.9


@pytest.mark.parametrize("method", ["vector", "hybrid"])
def test_filters_still_return_k(tiny_index, tiny_documents, method):
    style = tiny_documents["breathing_style"][0].as_py()
    mask = pc.and_(pc.equal(tiny_documents["breathing_style"], style), tiny_documents["in_stock"])
    matching = tiny_documents.filter(mask)
    assert matching.num_rows >= 5
    f = SearchFilters(breathing_style=style, in_stock=True)
    hits = tiny_index.search("a heavy blade for strong slayers", method, 5, f)
    assert len(hits) == 5
    assert all(h.row["breathing_style"] == style and h.row["in_stock"] for h in hits)
    cheap = SearchFilters(max_price=float(pc.min(tiny_documents["price"]).as_py()) + 0.001)
    assert len(tiny_index.search("katana", method, 5, cheap)) == 1


def test_incremental_sync_embeds_only_changes(tiny_world, tmp_path):
    products = read_table(tiny_world.out_dir, "products")
    faqs = read_table(tiny_world.out_dir, "product_faqs")
    db = lancedb.connect(str(tmp_path))
    first = sync_product_index(db, "t", product_documents(products, faqs))
    assert (first.rows, first.embedded) == (products.num_rows, products.num_rows)
    again = sync_product_index(db, "t", product_documents(products, faqs))
    assert (again.embedded, again.deleted, again.unchanged) == (0, 0, products.num_rows)

    # Product 3 changes price, product 7 leaves the catalog.
    prices = products["price"].to_pylist()
    prices[3] = 999.99
    changed = products.set_column(
        products.schema.get_field_index("price"), "price", pa.array(prices)
    )
    changed = changed.filter(pc.not_equal(changed["product_id"], 7))
    removed_name = products["name"][7].as_py()
    report = sync_product_index(db, "t", product_documents(changed, faqs))
    assert (report.embedded, report.deleted, report.rows) == (1, 1, products.num_rows - 1)
    search = ProductSearch(db.open_table("t"))
    assert search.get([3])[0]["price"] == pytest.approx(999.99)
    for method in ("vector", "fts", "hybrid"):
        assert 7 not in [h.product_id for h in search.search(removed_name, method, 10)]


def test_a_sync_stopped_between_chunks_keeps_them_and_the_next_embeds_only_the_rest(
    tiny_world, tmp_path, monkeypatch
):
    documents = product_documents(
        read_table(tiny_world.out_dir, "products"), read_table(tiny_world.out_dir, "product_faqs")
    )
    monkeypatch.setattr(store, "EMBED_CHUNK", 16)
    db = lancedb.connect(str(tmp_path))
    heard: list[tuple[str, int, int]] = []

    def stop_after_two_chunks(stage: str, done: int, total: int) -> None:
        heard.append((stage, done, total))
        if len(heard) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sync_product_index(db, "t", documents, progress=stop_after_two_chunks)
    total = documents.num_rows
    assert [done for _, done, _ in heard] == [0, 16, 32] and heard[0][2] == total
    assert db.open_table("t").count_rows() == 32

    progress: list[int] = []
    report = sync_product_index(db, "t", documents, progress=lambda s, d, t: progress.append(d))
    assert (report.rows, report.embedded, report.unchanged) == (total, total - 32, 32)
    assert progress[0] == 0 and progress[-1] == total - 32
    assert len(progress) == 1 + -(-(total - 32) // 16)
    search = ProductSearch(db.open_table("t"))
    name = documents["name"][total - 1].as_py()
    for method in ("vector", "fts", "hybrid"):
        assert documents["product_id"][total - 1].as_py() in [
            h.product_id for h in search.search(name, method, 5)
        ]
