"""dlbook.history: the record both frameworks return and its printed table."""

from dlbook.history import EpochStats, format_history


def test_format_history_one_line_per_epoch():
    history = [EpochStats(1, 0.5, 0.8, 0.9, 1.25), EpochStats(2, 0.25, 0.9, 0.95, 1.0)]
    lines = format_history(history).splitlines()
    assert lines[0].split() == ["epoch", "loss", "train", "acc", "test", "acc", "seconds"]
    assert lines[1].split() == ["1", "0.5000", "0.8000", "0.9000", "1.25"]
    assert len(lines) == 3
    assert history[1].as_dict()["test_accuracy"] == 0.95
