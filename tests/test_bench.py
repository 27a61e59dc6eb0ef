"""dlbook.bench: the arithmetic of the benchmark report, and one real child run."""

import json

import pytest

from dlbook import bench


def test_training_flops_per_image():
    forward_macs = 26 * 26 * 32 * 9 + 5408 * 128 + 128 * 10
    assert bench.training_flops_per_image() == 6 * forward_macs == 5_329_152


def test_cpu_peak_is_explained():
    peak = bench.cpu_peak()
    assert peak["cores"] >= 1 and peak["fp32_lanes"] in (4, 8, 16)
    assert peak["peak_gflops"] > 0 and "cores x" in peak["how"]


def test_measure_throughput_takes_medians_and_ratios(monkeypatch):
    speeds = {("keras", "book"): iter([100, 300, 200]), ("keras", "fast"): iter([400, 400, 400])}
    monkeypatch.setattr(bench, "run_in_child", lambda fw, cfg, n: {
        "images_per_second": next(speeds[(fw, cfg)]), "test_accuracy": 0.9, "xla": False})
    rows = bench.measure_throughput(repeats=3, num_epochs=2, configs={"keras": ["book", "fast"]})
    book = bench.find(rows, "keras", "book")
    assert book["images_per_second"] == 200 and book["runs"] == [100, 300, 200]
    assert book["vs_fastest"] == 0.5 and bench.find(rows, "keras", "fast")["vs_fastest"] == 1.0


def test_peak_share_and_table():
    rows = [{"framework": "mxnet", "config": "book", "images_per_second": 1000.0, "vs_fastest": 1.0}]
    bench.with_peak_share(rows, {"peak_gflops": 53.29152})
    assert rows[0]["gflops"] == pytest.approx(5.329152) and rows[0]["peak_share"] == pytest.approx(0.1)
    assert bench.throughput_table(rows).splitlines()[-1] == "| mxnet | book | 1,000 | 1.00x | 5.3 | 10.0% |"


def test_main_fails_when_a_book_loop_is_slow(monkeypatch, tmp_path):
    rows = [{"framework": "mxnet", "config": "book", "vs_fastest": 0.7}]

    def fake_report(out, repeats, num_epochs, builds, root):
        out.mkdir(parents=True, exist_ok=True)
        (out / "bench.md").write_text("table")
        return {"throughput": rows}

    monkeypatch.setattr(bench, "report", fake_report)
    assert bench.main(["--out", str(tmp_path), "--no-builds"]) == 1
    rows[0]["vs_fastest"] = 0.85
    assert bench.main(["--out", str(tmp_path), "--no-builds"]) == 0


@pytest.mark.slow
def test_child_run_reports_a_trained_model():
    result = bench.run_in_child("mxnet", "DataLoader", 2)
    assert result["framework"] == "mxnet" and result["images_per_second"] > 100
    assert result["test_accuracy"] > 0.85
    json.dumps(result)
