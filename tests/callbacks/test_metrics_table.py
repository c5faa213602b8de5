from rich.console import Console

from empathy_suite.callbacks.metrics_table import results_table


def test_results_table_has_one_row_per_metric_and_one_column_per_run():
    results = {
        "ed_retrieval": {"model": "RetrievalModule", "metrics": {"test/p_at_1": 12.5, "test/avg_bleu": 7.9}},
        "ed_generative": {"model": "GenerativeModule", "metrics": {"test/ppl": 175.25, "test/avg_bleu": 0.9}},
    }
    table = results_table(results)
    console = Console(width=200, record=True)
    console.print(table)
    lines = console.export_text().splitlines()
    row = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]] for line in lines if line.count("│") == 4}
    assert "model" not in row
    assert row["avg_bleu"] == ["7.90", "0.90"]
    assert row["p_at_1"] == ["12.50", "-"]
    assert row["ppl"] == ["-", "175.25"]


def test_print_results_makes_one_table_per_model(capsys):
    from empathy_suite.callbacks.metrics_table import print_results

    print_results({
        "a": {"model": "RetrievalModule", "metrics": {"test/p_at_1": 1.0}},
        "b": {"model": "EmpGANModule", "metrics": {"test/dist1": 2.0}},
        "c": {"model": "RetrievalModule", "metrics": {"test/p_at_1": 3.0}},
    }, title="T")
    out = capsys.readouterr().out
    assert out.index("T: EmpGANModule") < out.index("T: RetrievalModule")
    retrieval = out[out.index("T: RetrievalModule"):]
    assert "dist1" not in retrieval and "1.00" in retrieval and "3.00" in retrieval
