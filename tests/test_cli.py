"""The `hashira` command as users script it."""

import json

from typer.testing import CliRunner

from hashira_cli.main import app

runner = CliRunner()


def test_generate_writes_a_world(tmp_path):
    out = tmp_path / "world"
    result = runner.invoke(app, ["generate", "--preset", "tiny", "--out", str(out),
                                 "--customers", "80", "--products", "40", "--events", "2000",
                                 "--conversations", "10", "--seed", "3"])  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["seed"] == 3
    assert manifest["row_counts"]["customers"] == 80
    assert "interaction_events" in result.stdout


def test_generate_shows_progress(tmp_path):
    args = ["generate", "--out", str(tmp_path / "w"), "--customers", "50", "--products", "30",
            "--events", "500", "--conversations", "5"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "events: 120/120 (100%)" in result.stderr


def test_bad_configuration_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "world"
    result = runner.invoke(app, ["generate", "--out", str(out), "--customers", "-5"])
    assert result.exit_code == 2
    assert "n_customers must not be negative" in result.stderr
    assert not out.exists()


def test_unknown_preset_is_refused(tmp_path):
    result = runner.invoke(app, ["generate", "--preset", "giant", "--out", str(tmp_path / "w")])
    assert result.exit_code == 2
    assert "unknown preset 'giant'" in result.stderr


def test_materialize_with_a_selection(hashira_home):
    result = runner.invoke(app, ["materialize", "--preset", "tiny", "--select", "key:products"])
    assert result.exit_code == 0, result.output
    # The raw tables are generated together, so selecting one materializes all of them.
    assert "materialized products" in result.stdout
    assert "materialized interaction_events" in result.stdout
    assert "lake_raw" not in result.stdout
    assert (hashira_home / "raw" / "manifest.json").exists()


def test_materialize_refuses_an_unknown_selection(hashira_home):
    result = runner.invoke(app, ["materialize", "--select", "no_such_asset"])
    assert result.exit_code == 2
    assert "no_such_asset" in result.stderr


def test_summarize_refuses_empty_and_binary_files(tmp_path):
    empty, binary, latin = tmp_path / "e.txt", tmp_path / "b.txt", tmp_path / "l.txt"
    empty.write_text("  \n")
    binary.write_bytes(b"\x00\x01\x02" * 40)
    latin.write_bytes(b"Customer: caf\xe9 \xff\xfe")
    for path, words in ((empty, "is empty"), (binary, "not a text"), (latin, "not a UTF-8")):
        result = runner.invoke(app, ["summarize", str(path), "--backend", "extractive"])
        assert result.exit_code == 2 and words in result.output, result.output


def test_summarize_with_the_extractive_backend(tmp_path):
    chat = tmp_path / "chat.txt"
    chat.write_text("Customer: my katana arrived chipped.\nAgent: A replacement is on its way.")
    result = runner.invoke(app, ["summarize", str(chat), "--backend", "extractive"])
    assert result.exit_code == 0, result.output
    assert "my katana arrived chipped" in result.output and "issue category" in result.output
