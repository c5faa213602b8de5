"""``python -m empathy_suite.demo configs/quick``: fit then test every config, then a table.

Each config runs ``empathy-suite fit`` then ``test --ckpt_path last``, in name order (the
order of multi-stage papers' stages), all in this process so that the libraries are imported
once; the test metrics each run wrote are gathered into one table at the end.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from omegaconf import OmegaConf

from empathy_suite.callbacks.metrics_table import RESULTS_FILE, print_results
from empathy_suite.cli import main as cli_main


def run_name(config: Path) -> tuple[str, str]:
    """(save_dir, name) of the TensorBoard logger the config sets up."""
    logger = OmegaConf.load(config).get("trainer", {}).get("logger", {}) or {}
    init = logger.get("init_args", {}) if isinstance(logger, dict) or OmegaConf.is_dict(logger) else {}
    return init.get("save_dir", "runs"), init.get("name", config.stem)


def latest_results(save_dir: str, name: str) -> dict | None:
    files = sorted(Path(save_dir, name).glob(f"version_*/{RESULTS_FILE}"), key=lambda p: p.stat().st_mtime)
    return json.loads(files[-1].read_text()) if files else None


def run(args: list[str]) -> bool:
    """One ``empathy-suite`` command in this process; False if it failed (after printing why)."""
    # LightningCLI reads sys.argv when it differs from args; make them agree
    argv, sys.argv = sys.argv, ["empathy-suite", *args]
    try:
        cli_main(args)
    except SystemExit as exit_:
        return exit_.code in (0, None)
    except Exception:
        traceback.print_exc()
        return False
    finally:
        sys.argv = argv
    return True


def main(argv: list[str] | None = None) -> int:
    folder = Path((argv or sys.argv[1:] or ["configs/quick"])[0])
    configs = sorted(folder.glob("*.yaml"))
    if not configs:
        print(f"no *.yaml configs in {folder}", file=sys.stderr)
        return 1
    results, failed = {}, []
    for config in configs:
        start = time.time()
        for command in (["fit"], ["test", "--ckpt_path", "last"]):
            print(f"\n$ empathy-suite {' '.join(command)} --config {config}", flush=True)
            if not run([*command, "--config", str(config)]):
                failed.append(f"{config} ({command[0]})")
                break
        else:
            result = latest_results(*run_name(config))
            if result:
                results[config.stem] = result
        print(f"{config.stem}: {time.time() - start:.0f}s", flush=True)
    print_results(results, title=f"Test metrics of {folder}")
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
