"""`make bench`: every bench in turn, one dated JSON of all figures and a Markdown table.

Each bench also writes its own `bench/results/<bench>.json`; this collects them into
`bench/results/<date>.json` and `bench/results/<date>.md` (figure, target, measured, machine).
"""

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
BENCHES = ["store", "api", "sim", "fleet", "scheduler", "propagation", "telemetry", "backup", "cli"]
TARGETS: dict[str, dict[str, tuple[str, float]]] = {
    "store": {
        "creates_per_s": (">=", 2000),
        "informer_list_10k_ms": ("<", 50),
        "watch_delivery_p99_ms": ("<", 50),
    },
    "api": {
        "applies_per_s": (">=", 1000),
        "get_p99_ms": ("<", 10),
        "list_10k_ms": ("<", 300),
    },
    "sim": {"rss_mb_100_clusters": ("<", 2048)},
    "fleet": {
        "all_ready_100_clusters_s": ("<", 15),
        "idle_cpu_percent": ("<", 5),
    },
    "scheduler": {
        "core_decisions_per_s": (">=", 5000),
        "e2e_decisions_per_s": (">=", 1000),
        "binding_p99_ms": ("<", 30),
        "failover_s": ("<", 10),
    },
    "propagation": {
        "apply_to_present_p99_ms": ("<", 500),
        "drift_repair_p99_ms": ("<", 1000),
        "cold_start_5k_s": ("<", 60),
    },
    "telemetry": {
        "top_pods_p99_ms": ("<", 300),
        "fleet_scrape_ms": ("<", 1000),
        "telemetry_rss_mb": ("<", 300),
    },
    "backup": {
        "backup_10_clusters_s": ("<", 30),
        "restore_objects_per_s": (">=", 500),
        "backup_rss_mb": ("<", 300),
    },
    "cli": {
        "get_clusters_ms": ("<", 300),
        "get_workload_all_clusters_ms": ("<", 300),
        "import_ms": ("<", 300),
    },
}


def met(operator: str, target: float, value: float) -> bool:
    return value >= target if operator == ">=" else value < target


def main() -> int:
    started = time.monotonic()
    collected: dict[str, dict] = {}
    for bench in BENCHES:
        print(f"== bench/{bench}.py", flush=True)
        run = subprocess.run([sys.executable, str(HERE / f"{bench}.py")], check=False)
        if run.returncode != 0:
            print(f"bench/{bench}.py failed with {run.returncode}", file=sys.stderr)
            return run.returncode
        collected[bench] = json.loads((RESULTS / f"{bench}.json").read_text())
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    (RESULTS / f"{stamp}.json").write_text(json.dumps(collected, indent=2) + "\n")
    rows = ["| bench | figure | target | measured | met | machine |", "|---|---|---|---|---|---|"]
    for bench, figures in collected.items():
        for key, (operator, target) in TARGETS.get(bench, {}).items():
            if key not in figures:
                rows.append(
                    f"| {bench} | {key} | {operator} {target} | not measured | no | "
                    f"{figures.get('machine', '')} |"
                )
                continue
            value = figures[key]
            rows.append(
                f"| {bench} | {key} | {operator} {target} | {value} | "
                f"{'yes' if met(operator, target, value) else 'no'} | "
                f"{figures.get('machine', '')} |"
            )
    table = "\n".join(rows) + "\n"
    (RESULTS / f"{stamp}.md").write_text(table)
    print(table)
    print(f"all benches in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
