"""Each problem's step-size schedule, early stopping, best loss and loss history during a run."""

from __future__ import annotations

import math

import torch


class _State:
    """Per-problem step sizes, plateau and early-stopping counters, best loss and history.

    Updates act on every problem; a stopped problem's loss is NaN, which
    never improves and is never stored as best. Its step size and counters
    may still change, but are never used again.
    """

    def __init__(self, n, T, settings, device):
        self.cfg = settings
        self.lr = torch.full((n,), settings.lr, device=device)
        self.t = torch.zeros(n, device=device)  # float: exact to 2**24 steps, as Adam uses it
        self.active = torch.ones(n, dtype=torch.bool, device=device)
        self.best = torch.full((n,), float("inf"), device=device)
        self.best_rec = torch.full((n,), float("inf"), device=device)
        self.plateau_best = torch.full((n,), float("inf"), device=device)
        self.bad = torch.zeros(n, dtype=torch.long, device=device)
        self.since = torch.zeros(n, dtype=torch.long, device=device)
        self.history: list = []  # (total, rec) of each iteration, NaN for stopped problems
        self.T = T
        self.steps = sorted({int(round(f * T)) for f in settings.milestones})

    def widen(self, rows, values):
        """``values`` of the running problems ``rows`` as a vector over all, NaN for stopped ones."""
        if isinstance(rows, slice):
            return values
        out = torch.full_like(self.best, float("nan"))
        out[rows] = values
        return out

    def record(self, total, rec):
        """Store the losses; return which problems improved on their best (strictly)."""
        self.history.append((total, rec))
        improved = total < self.best
        self.best = torch.where(improved, total, self.best)
        self.best_rec = torch.where(improved, rec, self.best_rec)
        self.since = torch.where(improved, 0, self.since + 1)
        return improved

    def losses(self):
        """``(loss, gradient_loss)``, each ``(n, T)``: the history, NaN after a problem stopped."""
        out = []
        for j in range(2):
            full = torch.full((len(self.best), self.T), math.nan, device=self.best.device)
            if self.history:
                full[:, : len(self.history)] = torch.stack([h[j] for h in self.history], 1)
            out.append(full)
        return tuple(out)

    def schedule(self, it, total):
        """Step sizes for the next iteration, then stop problems; True when one stopped."""
        cfg = self.cfg
        if cfg.schedule == "multistep":
            self.lr.fill_(cfg.lr * 0.1 ** sum(it + 1 >= s for s in self.steps))
        elif cfg.schedule == "plateau":
            better = total < self.plateau_best * (1 - 1e-4)
            self.plateau_best = torch.where(better, total, self.plateau_best)
            bad = torch.where(better, 0, self.bad + 1)
            cut = bad > cfg.patience
            self.lr = torch.where(cut, self.lr * cfg.factor, self.lr)
            self.bad = torch.where(cut, 0, bad)
        return self._stop()

    def _stop(self):
        cfg = self.cfg
        if cfg.stop_patience is None and cfg.stop_loss is None:
            return False
        stop = torch.zeros_like(self.active)
        if cfg.stop_patience is not None:
            stop |= self.since >= cfg.stop_patience
        if cfg.stop_loss is not None:
            stop |= self.best < cfg.stop_loss
        stop &= self.active
        if not bool(stop.any()):
            return False
        self.active &= ~stop
        return True
