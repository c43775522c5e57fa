"""The paper's evaluations on one pair: removal, label noise, fixing mislabelled examples, agreement.

Each evaluation returns a :class:`Setting`: the loss of every method on every
evaluation example at every checkpoint, so ranks and their bootstrap spreads
are computed from one array (see :mod:`support.influence.ranks`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import pearsonr, spearmanr

from ..core.progress import progress
from .losses import get_objective


@dataclass
class Setting:
    """One evaluation on one pair.

    Attributes
    ----------
    methods : list of str
    fracs, ks : list
        Checkpoints: fraction of the training set and the count k it became.
    loss : ndarray, shape (n_methods, n_examples, n_checkpoints)
        Per-example loss after the intervention (higher = better method for
        removal and noise; lower = better for fixing).
    base : ndarray, shape (n_examples,)
        Loss of the original model.
    score : ndarray, shape (n_methods, n_checkpoints), optional
        A per-checkpoint score ranked instead of the loss (fixing: fraction detected).
    """

    methods: list
    fracs: list
    ks: list
    loss: np.ndarray
    base: np.ndarray
    score: np.ndarray | None = None

    def frame(self) -> pd.DataFrame:
        """Long table: method, frac, k, mean loss, mean relative loss (and score)."""
        rows = []
        for a, m in enumerate(self.methods):
            for c, (f, k) in enumerate(zip(self.fracs, self.ks)):
                row = dict(method=m, frac=f, k=k, loss=float(self.loss[a, :, c].mean()))
                row["rel"] = float(np.mean(self.loss[a, :, c] / np.maximum(self.base, 1e-12)))
                if self.score is not None:
                    row["detected"] = float(self.score[a, c])
                rows.append(row)
        return pd.DataFrame(rows)


def stack_settings(parts: list) -> Setting:
    """One :class:`Setting` with the methods of ``parts`` (the same evaluation of one pair, by method) in order."""
    first = parts[0]
    for s in parts[1:]:
        if s.ks != first.ks or not np.array_equal(s.base, first.base):
            raise ValueError(
                "parts must be the same evaluation of one pair (same checkpoints and base)"
            )
    score = None if first.score is None else np.concatenate([s.score for s in parts])
    return Setting(
        [m for s in parts for m in s.methods],
        first.fracs,
        first.ks,
        np.concatenate([s.loss for s in parts]),
        first.base,
        score,
    )


def checkpoints(n: int, fracs) -> tuple[list, list]:
    """The paper's k = floor(frac * n) (at least 1), each distinct k once: (fracs, ks)."""
    out_f, out_k = [], []
    for f in fracs:
        k = max(1, int(np.floor(f * n + 1e-9)))
        if k not in out_k:
            out_f.append(f)
            out_k.append(k)
    return out_f, out_k


def _losses(task, margins, y) -> np.ndarray:
    obj = get_objective(task, n_outputs=margins.shape[1])
    return obj.loss(margins, obj.targets(y))


def single_removal(store, influences: dict, rows, y, task, fracs, base=None) -> Setting:
    """Remove each test example's top-k most helpful training examples, retrain, record its loss.

    ``influences[m]`` has shape (n_train, len(rows)); ``rows`` index
    ``store.X_eval``; ``base`` is the original model's loss on them.
    """
    fr, ks = checkpoints(len(store.X), fracs)
    methods = list(influences)
    loss = np.empty((len(methods), len(rows), len(ks)))
    for a, m in enumerate(progress(methods, desc="single-test removal")):
        for e, row in enumerate(rows):
            order = np.argsort(-influences[m][:, e], kind="stable")
            for c, k in enumerate(ks):
                z = store.drop(order[:k])[[row]]
                loss[a, e, c] = _losses(task, z, y[[e]])[0]
    base = np.zeros(len(rows)) if base is None else np.asarray(base)
    return Setting(methods, fr, ks, loss, base=base)


def set_removal(store, set_influence: dict, rows, y, task, fracs) -> Setting:
    """Remove the top-k training examples by influence summed over a target set; loss on ``rows``."""
    fr, ks = checkpoints(len(store.X), fracs)
    methods = list(set_influence)
    loss = np.empty((len(methods), len(rows), len(ks)))
    for a, m in enumerate(progress(methods, desc="set removal")):
        order = np.argsort(-set_influence[m], kind="stable")
        for c, k in enumerate(ks):
            loss[a, :, c] = _losses(task, store.drop(order[:k])[rows], y)
    return Setting(methods, fr, ks, loss, base=np.zeros(len(rows)))


def noisy_labels(y, idx, task, rng) -> np.ndarray:
    """Labels with ``idx`` corrupted: binary flipped, multiclass a random other class, regression U(min, max)."""
    y2 = np.asarray(y).copy()
    if task == "binary":
        y2[idx] = 1 - y2[idx]
    elif task == "multiclass":
        k = int(y.max()) + 1
        y2[idx] = (y2[idx] + rng.integers(1, k, size=len(idx))) % k
    else:
        y2[idx] = rng.uniform(y.min(), y.max(), size=len(idx))
    return y2


def add_noise(store, set_influence: dict, rows, y, task, fracs, seed=1) -> Setting:
    """Corrupt the labels of the top-k training examples (summed influence), retrain, loss on ``rows``."""
    fr, ks = checkpoints(len(store.X), fracs)
    methods = list(set_influence)
    loss = np.empty((len(methods), len(rows), len(ks)))
    for a, m in enumerate(progress(methods, desc="adding noise")):
        order = np.argsort(-set_influence[m], kind="stable")
        for c, k in enumerate(ks):
            y_noisy = noisy_labels(store.y, order[:k], task, np.random.default_rng(seed))
            loss[a, :, c] = _losses(task, store.relabel(y_noisy)[rows], y)
    return Setting(methods, fr, ks, loss, base=np.zeros(len(rows)))


def corrupt_labels(y, task, noise_frac=0.4, seed=1):
    """The paper's corruption: ``noise_frac * n`` indices drawn with replacement (about a third unique at 0.4)."""
    rng = np.random.default_rng(seed)
    idx = np.unique(rng.choice(len(y), size=int(noise_frac * len(y)), replace=True))
    return noisy_labels(y, idx, task, rng), idx


def fix_mislabelled(
    store, y_clean, noisy_idx, set_influence: dict, rows, y, task, fracs
) -> Setting:
    """Check the training examples most harmful to a target set (ascending summed influence), fix their labels.

    ``store`` retrains the model fitted on the noisy labels ``store.y``;
    ``score`` is the fraction of corrupted examples found, ``loss`` the
    evaluation loss after retraining on the fixed labels.
    """
    fr, ks = checkpoints(len(store.X), fracs)
    methods = list(set_influence)
    is_noisy = np.zeros(len(store.X), dtype=bool)
    is_noisy[noisy_idx] = True
    loss = np.empty((len(methods), len(rows), len(ks)))
    score = np.empty((len(methods), len(ks)))
    for a, m in enumerate(progress(methods, desc="fix mislabelled")):
        order = np.argsort(set_influence[m], kind="stable")
        for c, k in enumerate(ks):
            y_fix = store.y.copy()
            y_fix[order[:k]] = y_clean[order[:k]]
            score[a, c] = is_noisy[order[:k]].sum() / max(1, is_noisy.sum())
            loss[a, :, c] = _losses(task, store.relabel(y_fix)[rows], y)
    return Setting(methods, fr, ks, loss, base=np.zeros(len(rows)), score=score)


def agreement(influences: dict, top_frac: float = 0.1) -> dict[str, pd.DataFrame]:
    """Pearson, Spearman and top-``top_frac`` Jaccard between methods, averaged over test examples."""
    names = list(influences)
    n, m = next(iter(influences.values())).shape
    top = max(1, int(round(top_frac * n)))
    out = {
        k: pd.DataFrame(np.eye(len(names)), index=names, columns=names)
        for k in ("pearson", "spearman", "jaccard")
    }
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            vals = _pair_agreement(influences[names[a]], influences[names[b]], top)
            for key, v in vals.items():
                out[key].iloc[a, b] = out[key].iloc[b, a] = v
    return out


def _pair_agreement(A, B, top) -> dict:
    pe, sp, ja = [], [], []
    for e in range(A.shape[1]):
        x, z = A[:, e], B[:, e]
        if np.ptp(x) > 0 and np.ptp(z) > 0:
            pe.append(pearsonr(x, z)[0])
            sp.append(spearmanr(x, z)[0])
        ta, tb = set(np.argsort(-x)[:top]), set(np.argsort(-z)[:top])
        ja.append(len(ta & tb) / len(ta | tb))
    return {
        k: float(np.mean(v)) if v else np.nan
        for k, v in (("pearson", pe), ("spearman", sp), ("jaccard", ja))
    }
