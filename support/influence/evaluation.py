"""The paper's evaluations: removal, label edits, set removal, label noise, fixing, agreement, ranks."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from scipy.stats import pearsonr, spearmanr

from ..core.progress import progress
from .explainers import make_explainer
from .models import Refitter, example_loss, raw_margin

FAST = ("boostin", "leaf_inf_sp", "trex", "tree_sim")
SLOW = ("leaf_refit", "leaf_inf", "subsample", "loo")
BASELINES = ("input_sim", "target", "random")


def _counts(n: int, fracs) -> list[int]:
    return [max(1, int(round(f * n))) for f in fracs]


def fit_explainers(methods, model, X, y, params=None, progress_bar=True) -> tuple[dict, dict]:
    """Fit each named explainer; return (explainers, fit seconds)."""
    params = params or {}
    out, secs = {}, {}
    it = progress(methods, desc="fit explainers") if progress_bar else methods
    for m in it:
        t = time.perf_counter()
        out[m] = make_explainer(m, **params.get(m, {})).fit(model, X, y)
        secs[m] = time.perf_counter() - t
    return out, secs


def single_removal(model, Xtr, ytr, Xte, yte, influences: dict, fracs) -> pd.DataFrame:
    """Remove each test example's top-k most helpful training examples, retrain, record its loss.

    Returns one row per (method, test example, k) with ``loss`` (higher = better method).
    """
    rows = []
    ks = _counts(len(Xtr), fracs)
    base = example_loss(model, Xte, yte)
    refit = Refitter(model, Xtr, ytr)
    for method, inf in progress(influences.items(), desc="single-test removal"):
        for e in range(len(Xte)):
            order = np.argsort(-inf[:, e], kind="stable")
            for f, k in zip(fracs, ks):
                loss = example_loss(refit.without(order[:k]), Xte[[e]], yte[[e]])[0]
                rows.append(dict(method=method, test=e, frac=f, k=k, loss=loss, base=base[e]))
    return pd.DataFrame(rows)


def target_labels(model, X, y, task) -> np.ndarray:
    """The paper's edit targets: binary the opposite of the prediction, multiclass the runner-up class."""
    z = raw_margin(model, X)
    if task == "binary":
        return (z[:, 0] < 0).astype(np.int64)
    if task == "multiclass":
        return np.argsort(-z, axis=1)[:, 1]
    raise ValueError("targeted label edits are defined here for classification only")


def label_edit(model, Xtr, ytr, Xte, yte, influences: dict, fracs, task) -> pd.DataFrame:
    """Targeted edits: relabel the top-k training examples *helping the current prediction* to the target label.

    Rank by influence on the loss at the model's current prediction (descending),
    set those examples' labels to the target label, retrain, and record the test
    example's loss at the target (lower = better) and whether the prediction flipped.
    A simplification of the reference's LE explainers, which score the edit itself.
    """
    pred = (
        np.argmax(raw_margin(model, Xte), 1)
        if task == "multiclass"
        else (raw_margin(model, Xte)[:, 0] > 0).astype(int)
    )
    tgt = target_labels(model, Xte, yte, task)
    ks = _counts(len(Xtr), fracs)
    rows = []
    refit = Refitter(model, Xtr, ytr)
    for method, inf in progress(influences.items(), desc="targeted label edits"):
        for e in range(len(Xte)):
            order = np.argsort(-inf[:, e], kind="stable")
            for f, k in zip(fracs, ks):
                y_new = ytr.copy()
                y_new[order[:k]] = tgt[e]
                m = refit.with_labels(y_new)
                z = raw_margin(m, Xte[[e]])
                new_pred = int(np.argmax(z[0])) if task == "multiclass" else int(z[0, 0] > 0)
                rows.append(
                    dict(
                        method=method,
                        test=e,
                        frac=f,
                        k=k,
                        loss=example_loss(m, Xte[[e]], tgt[[e]], task)[0],
                        flipped=new_pred != pred[e],
                    )
                )
    return pd.DataFrame(rows)


def set_experiments(
    model, Xtr, ytr, Xev, yev, set_influence: dict, fracs, task, seed=1
) -> pd.DataFrame:
    """Set removal and adding label noise, ranked by influence summed over a target set.

    Returns rows (method, setting, frac, loss) with the mean loss on the evaluation
    examples (higher = better method for both settings).
    """
    rng = np.random.default_rng(seed)
    rows = []
    ks = _counts(len(Xtr), fracs)
    lo, hi = float(np.min(ytr)), float(np.max(ytr))
    n_cls = int(ytr.max()) + 1 if task == "multiclass" else 2
    refit = Refitter(model, Xtr, ytr)
    for method, s in progress(set_influence.items(), desc="set removal / noise"):
        order = np.argsort(-s, kind="stable")
        for f, k in zip(fracs, ks):
            loss = example_loss(refit.without(order[:k]), Xev, yev, task).mean()
            rows.append(dict(method=method, setting="set_removal", frac=f, loss=loss))
            y_noisy = ytr.copy()
            idx = order[:k]
            if task == "binary":
                y_noisy[idx] = 1 - y_noisy[idx]
            elif task == "multiclass":
                y_noisy[idx] = (y_noisy[idx] + rng.integers(1, n_cls, size=k)) % n_cls
            else:
                y_noisy[idx] = rng.uniform(lo, hi, size=k)
            loss = example_loss(refit.with_labels(y_noisy), Xev, yev, task).mean()
            rows.append(dict(method=method, setting="add_noise", frac=f, loss=loss))
    return pd.DataFrame(rows)


def corrupt_labels(y, task, noise_frac=0.4, seed=1):
    """Flip labels at ``noise_frac * n`` indices drawn with replacement (about a third unique at 0.4)."""
    rng = np.random.default_rng(seed)
    idx = np.unique(rng.choice(len(y), size=int(noise_frac * len(y)), replace=True))
    y2 = y.copy()
    if task == "binary":
        y2[idx] = 1 - y2[idx]
    elif task == "multiclass":
        k = int(y.max()) + 1
        y2[idx] = (y2[idx] + rng.integers(1, k, size=len(idx))) % k
    else:
        y2[idx] = rng.uniform(y.min(), y.max(), size=len(idx))
    return y2, idx


def fix_mislabelled(
    model, Xtr, y_clean, y_noisy, noisy_idx, Xtar, ytar, Xev, yev, methods, fracs, task, params=None
) -> pd.DataFrame:
    """Check the training examples most harmful to a target set (summed influence, ascending), fix their labels.

    Returns rows (method, frac, detected, loss): the fraction of corrupted
    examples found, and the evaluation loss after retraining on the fixed labels.
    """
    refit = Refitter(model, Xtr, y_noisy)
    noisy_model = refit.with_labels(y_noisy)
    exps, _ = fit_explainers(methods, noisy_model, Xtr, y_noisy, params, progress_bar=False)
    is_noisy = np.zeros(len(Xtr), dtype=bool)
    is_noisy[noisy_idx] = True
    rows = []
    ks = _counts(len(Xtr), fracs)
    for method, ex in progress(exps.items(), desc="fix mislabelled"):
        s = ex.local_influence(Xtar, ytar).sum(axis=1)
        order = np.argsort(s, kind="stable")
        for f, k in zip(fracs, ks):
            chk = order[:k]
            y_fix = y_noisy.copy()
            y_fix[chk] = y_clean[chk]
            loss = example_loss(refit.with_labels(y_fix), Xev, yev, task).mean()
            rows.append(
                dict(
                    method=method,
                    frac=f,
                    detected=is_noisy[chk].sum() / max(1, is_noisy.sum()),
                    loss=loss,
                )
            )
    return pd.DataFrame(rows)


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
            A, B = influences[names[a]], influences[names[b]]
            pe, sp, ja = [], [], []
            for e in range(m):
                x, z = A[:, e], B[:, e]
                if np.ptp(x) > 0 and np.ptp(z) > 0:
                    pe.append(pearsonr(x, z)[0])
                    sp.append(spearmanr(x, z)[0])
                ta, tb = set(np.argsort(-x)[:top]), set(np.argsort(-z)[:top])
                ja.append(len(ta & tb) / len(ta | tb))
            for key, vals in (("pearson", pe), ("spearman", sp), ("jaccard", ja)):
                v = float(np.mean(vals)) if vals else np.nan
                out[key].iloc[a, b] = out[key].iloc[b, a] = v
    return out


def rank_methods(
    df: pd.DataFrame, value: str, higher_is_better: bool, group=("dataset", "library")
) -> pd.DataFrame:
    """The paper's aggregation: per setting, average over test examples, rank per checkpoint, average ranks.

    Returns one row per (dataset, library, method) with its mean rank (1 = best).
    """
    keys = [*group, "frac", "method"]
    mean = df.groupby(keys, as_index=False)[value].mean()
    mean["rank"] = mean.groupby([*group, "frac"])[value].rank(
        ascending=not higher_is_better, method="average"
    )
    return mean.groupby([*group, "method"], as_index=False)["rank"].mean()


def summarise_ranks(ranks: pd.DataFrame) -> pd.DataFrame:
    """Mean rank and 1.96 SEM across (dataset, library) pairs, sorted best first."""
    g = ranks.groupby("method")["rank"]
    out = pd.DataFrame(
        {"mean": g.mean(), "sem95": 1.96 * g.std(ddof=1) / np.sqrt(g.count()), "n": g.count()}
    )
    return out.sort_values("mean")
