"""The per-epoch training record both frameworks return, and how the book prints it."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class EpochStats:
    """One epoch: mean training loss, training and test accuracy, wall-clock seconds."""

    epoch: int
    loss: float
    train_accuracy: float
    test_accuracy: float
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def format_history(history: list[EpochStats]) -> str:
    """A fixed-width table of the history, one line per epoch."""
    lines = [f"{'epoch':>5}  {'loss':>7}  {'train acc':>9}  {'test acc':>8}  {'seconds':>7}"]
    for h in history:
        lines.append(
            f"{h.epoch:>5}  {h.loss:>7.4f}  {h.train_accuracy:>9.4f}  "
            f"{h.test_accuracy:>8.4f}  {h.seconds:>7.2f}"
        )
    return "\n".join(lines)
