"""Benchmarks behind ``nox -s bench`` and the performance section of chapter 4.

* Training throughput: the book's Keras and MXNet training loops against other configurations
  of the same framework on the same machine, each run in a fresh child process (so that one
  configuration's global state, such as TensorFlow's determinism switch, cannot leak into
  another) and interleaved, repetition by repetition, so that they share the machine's state.
* Share of the CPU's theoretical fp32 peak reached by each loop.
* Build times of the book (``measure_builds``): cold, nothing changed, prose edit, code edit,
  with the number of notebooks each build executed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KERAS_CONFIGS = {
    "book": {"jit_compile": "auto", "deterministic": True},
    "XLA, non-deterministic": {"jit_compile": True, "deterministic": False},
    "no XLA, non-deterministic": {"jit_compile": False, "deterministic": False},
}
MXNET_CONFIGS = {
    "book": {"hybridize": "static", "loader": "sliced_batches"},
    "DataLoader": {"hybridize": "static", "loader": "data_loader"},
    "hybridize()": {"hybridize": "plain", "loader": "sliced_batches"},
    "imperative": {"hybridize": None, "loader": "sliced_batches"},
}
CONFIGS = {"keras": KERAS_CONFIGS, "mxnet": MXNET_CONFIGS}
# The lighter comparison that chapter 4 runs during every build.
CHAPTER_CONFIGS = {"keras": ["book", "XLA, non-deterministic"], "mxnet": ["book", "DataLoader", "imperative"]}


def run_config(framework: str, config: str, num_epochs: int) -> dict:
    """Train the book's CNN once with one configuration; images per second after epoch 1."""
    from dlbook.data import load_mnist

    options = CONFIGS[framework][config]
    data = load_mnist()
    if framework == "keras":
        from dlbook import keras_cnn

        model = keras_cnn.build_model(seed=0)
        history = keras_cnn.train(model, keras_cnn.prepare_data(data), num_epochs=num_epochs, **options)
        jit = bool(model.jit_compile)
    else:
        from dlbook import mxnet_cnn

        model = mxnet_cnn.build_model(seed=0, hybridize=options["hybridize"])
        loader = getattr(mxnet_cnn, options["loader"])
        history = mxnet_cnn.train(model, mxnet_cnn.prepare_data(data), num_epochs=num_epochs, loader=loader)
        jit = None
    seconds = statistics.median(h.seconds for h in history[1:] or history)
    return {"framework": framework, "config": config, "images_per_second": len(data.x_train) / seconds,
            "test_accuracy": history[-1].test_accuracy, "xla": jit}


def run_in_child(framework: str, config: str, num_epochs: int) -> dict:
    """``run_config`` in a fresh Python process."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-m", "dlbook.bench", "child", framework, config, str(num_epochs)],
        capture_output=True, text=True, env=env,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{framework}/{config} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_throughput(repeats: int = 3, num_epochs: int = 3, configs: dict | None = None) -> list[dict]:
    """Median images/s of each configuration over ``repeats`` interleaved runs."""
    configs = configs or {f: list(c) for f, c in CONFIGS.items()}
    runs: dict[tuple[str, str], list[dict]] = {}
    for _ in range(repeats):
        for framework, names in configs.items():
            for name in names:
                runs.setdefault((framework, name), []).append(run_in_child(framework, name, num_epochs))
    rows = []
    for (framework, name), results in runs.items():
        speeds = [r["images_per_second"] for r in results]
        rows.append({"framework": framework, "config": name, "images_per_second": statistics.median(speeds),
                     "runs": speeds, "test_accuracy": results[0]["test_accuracy"], "xla": results[0]["xla"]})
    for framework in configs:
        mine = [r for r in rows if r["framework"] == framework]
        fastest = max(r["images_per_second"] for r in mine)
        for r in mine:
            r["vs_fastest"] = r["images_per_second"] / fastest
    return rows


def training_flops_per_image() -> int:
    """Floating-point operations to train on one image: forward (2 per multiply-add) times 3.

    Forward multiply-adds: conv 26*26*32*(3*3*1), dense 5408*128, dense 128*10. The backward
    pass costs about twice the forward pass (gradients for both inputs and weights).
    """
    macs = 26 * 26 * 32 * 9 + 5408 * 128 + 128 * 10
    return 3 * 2 * macs


def cpu_peak() -> dict:
    """Theoretical fp32 peak of the CPUs this process may use, and how it was computed."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    flags = set(re.search(r"^flags\s*:(.*)$", info, re.M).group(1).split()) if "flags" in info else set()
    model = re.search(r"^model name\s*:\s*(.*)$", info, re.M)
    mhz = re.search(r"^cpu MHz\s*:\s*([\d.]+)$", info, re.M)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lanes = 16 if "avx512f" in flags else 8 if "avx2" in flags else 4
    fma = 2 if "fma" in flags else 1
    ghz = float(mhz.group(1)) / 1000 if mhz else float("nan")
    peak = cores * ghz * lanes * fma * 2  # 2 vector FMA units per core assumed
    return {
        "model": model.group(1).strip() if model else "unknown", "cores": cores, "ghz": ghz,
        "fp32_lanes": lanes, "peak_gflops": peak,
        "how": (f"{cores} cores x {ghz:.2f} GHz x {lanes} fp32 lanes "
                f"({'AVX-512' if lanes == 16 else 'AVX2' if lanes == 8 else 'SSE'}) x 2 (FMA) x 2 FMA units"),
    }


def with_peak_share(rows: list[dict], peak: dict) -> list[dict]:
    """Add each row's achieved GFLOP/s and its share of the theoretical peak."""
    flops = training_flops_per_image()
    for r in rows:
        r["gflops"] = r["images_per_second"] * flops / 1e9
        r["peak_share"] = r["gflops"] / peak["peak_gflops"]
    return rows


def find(rows: list[dict], framework: str, config: str) -> dict:
    """The row of one framework's configuration."""
    return next(r for r in rows if r["framework"] == framework and r["config"] == config)


def throughput_table(rows: list[dict]) -> str:
    """The throughput rows as a Markdown table."""
    lines = ["| framework | configuration | images/s | vs fastest | GFLOP/s | share of peak |",
             "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['framework']} | {r['config']} | {r['images_per_second']:,.0f} | "
                     f"{r['vs_fastest']:.2f}x | {r['gflops']:.1f} | {r['peak_share']:.1%} |")
    return "\n".join(lines)


# --- build times -------------------------------------------------------------------------

def copy_repo(root: Path, dest: Path) -> Path:
    """Copy the repository's tracked and untracked-but-not-ignored files into ``dest``."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=root,
                           capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if (root / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, dest / name)
    return dest


def _build(repo: Path, language: str) -> tuple[float, int]:
    """One strict HTML build of one edition; (seconds, notebooks executed)."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-n", "-W", "--keep-going", "-T",
         "-D", f"language={language}", "-c", str(repo), "-d", str(repo / "_build" / "doctrees" / language),
         str(repo / "book"), str(repo / "_build" / "html" / language)],
        capture_output=True, text=True, cwd=repo, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"build of {language} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return seconds, len(re.findall(r"Executed notebook", result.stdout + result.stderr))


def _both(repo: Path) -> dict:
    zh, en = _build(repo, "zh_CN"), _build(repo, "en")
    return {"seconds": zh[0] + en[0], "executed_zh": zh[1], "executed_en": en[1]}


def measure_builds(root: Path, repeats: int = 3) -> list[dict]:
    """Median build times of both editions for four situations, in a scratch copy of the repo."""
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        repo = copy_repo(root, Path(tmp) / "repo")
        prose, code = repo / "book" / "05_outlook.md", repo / "code" / "dlbook" / "plots.py"
        for i in range(repeats):
            shutil.rmtree(repo / "_build", ignore_errors=True)
            results.setdefault("cold (empty cache)", []).append(_both(repo))
            results.setdefault("nothing changed", []).append(_both(repo))
            prose.write_text(prose.read_text(encoding="utf-8") + f"\n本段为基准测试而添加（{i}）。\n",
                             encoding="utf-8")
            results.setdefault("prose edit", []).append(_both(repo))
            code.write_text(code.read_text(encoding="utf-8") + f"\n# benchmark edit {i}\n", encoding="utf-8")
            results.setdefault("code edit (plots.py)", []).append(_both(repo))
    return [{"scenario": name, "seconds": statistics.median(r["seconds"] for r in runs),
             "runs": [r["seconds"] for r in runs], "executed_zh": runs[0]["executed_zh"],
             "executed_en": runs[0]["executed_en"]} for name, runs in results.items()]


def builds_table(rows: list[dict]) -> str:
    lines = ["| build (both editions) | median seconds | notebooks executed (zh_CN / en) |",
             "|---|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['scenario']} | {r['seconds']:.1f} | {r['executed_zh']} / {r['executed_en']} |")
    return "\n".join(lines)


def report(out: Path, repeats: int, num_epochs: int, builds: bool, root: Path) -> dict:
    """Run the benchmarks, write bench.json and bench.md into ``out``, return the results."""
    peak = cpu_peak()
    throughput = with_peak_share(measure_throughput(repeats, num_epochs), peak)
    result = {"cpu": peak, "training_flops_per_image": training_flops_per_image(),
              "num_epochs": num_epochs, "repeats": repeats, "throughput": throughput}
    markdown = [f"# Benchmarks\n\nCPU: {peak['model']}; theoretical fp32 peak {peak['peak_gflops']:.0f} GFLOP/s "
                f"= {peak['how']}.\n\n## Training throughput (median of {repeats}, epochs 2-{num_epochs})\n",
                throughput_table(throughput)]
    if builds:
        result["builds"] = measure_builds(root, repeats)
        markdown += [f"\n## Book builds (median of {repeats})\n", builds_table(result["builds"])]
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(result, indent=2))
    (out / "bench.md").write_text("\n".join(markdown) + "\n")
    return result


def main(argv: list[str]) -> int:
    if argv[:1] == ["child"]:
        framework, config, num_epochs = argv[1], argv[2], int(argv[3])
        print(json.dumps(run_config(framework, config, num_epochs)))
        return 0
    import argparse

    parser = argparse.ArgumentParser(description="Benchmark the book's training loops and builds.")
    parser.add_argument("--out", type=Path, default=Path("_build/bench"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--no-builds", action="store_true", help="skip the (slow) build benchmark")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    result = report(args.out, args.repeats, args.epochs, not args.no_builds, args.root)
    print((args.out / "bench.md").read_text())
    slow = [r for r in result["throughput"] if r["config"] == "book" and r["vs_fastest"] < 0.8]
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
