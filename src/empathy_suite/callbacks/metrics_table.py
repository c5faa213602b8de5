"""Saves each test run's metrics as JSON and prints tables of them across runs."""

from __future__ import annotations

import json
from pathlib import Path

import lightning as L
from rich.console import Console
from rich.table import Table

RESULTS_FILE = "test_metrics.json"


class TestMetricsWriter(L.Callback):
    """Writes ``test/*`` metrics to ``<log_dir>/test_metrics.json`` after a test run."""

    def on_test_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        log_dir = trainer.log_dir  # a collective under DDP: every rank must ask
        if not trainer.is_global_zero or log_dir is None:
            return
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("test/")}
        path = Path(log_dir) / RESULTS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"model": type(pl_module).__name__, "metrics": metrics}, indent=2))


def results_table(results: dict[str, dict], title: str = "Test metrics") -> Table:
    """Rows = metric names (without the ``test/`` prefix), columns = runs: papers add metrics,
    so the table grows downwards rather than past the terminal's width."""
    names = sorted({name for result in results.values() for name in result["metrics"]})
    table = Table(title=title)
    table.add_column("metric", no_wrap=True)
    for run in results:
        table.add_column(run, justify="right", no_wrap=True)
    for name in names:
        values = [result["metrics"].get(name) for result in results.values()]
        table.add_row(name.removeprefix("test/"), *("-" if v is None else f"{v:.2f}" for v in values))
    return table


def print_results(results: dict[str, dict], title: str = "Test metrics") -> None:
    """One table per model class: runs of one model share their metric names."""
    console = Console()
    if not console.is_terminal:
        # piped or logged output defaults to 80 columns, which would cut run names
        console = Console(width=240)
    models = sorted({result["model"] for result in results.values()})
    for model in models:
        group = {run: result for run, result in results.items() if result["model"] == model}
        console.print(results_table(group, f"{title}: {model}"))
