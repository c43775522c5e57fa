"""The validation split and the choice of the undistilled baselines' rate on it (never on the test set)."""

import pandas as pd
import torch

from support.distill.data import load
from support.distill.experiments import choose_rates


def _pixels(ds, x):
    """Rows of de-standardised pixels (digits: multiples of 1/16), as sortable tuples."""
    raw = x * ds.std.view(1, -1, 1, 1) + ds.mean.view(1, -1, 1, 1)
    return sorted(tuple(r) for r in (raw * 16).round().int().flatten(1).tolist())


def test_validation_split_is_held_out_and_stratified():
    full = load("digits", seed=0)
    ds = load("digits", seed=0, val_fraction=0.2)
    assert len(load("digits", seed=0).val_labels) == 0
    assert len(ds.train_labels) + len(ds.val_labels) == len(full.train_labels)
    # the test split does not move; train + validation is exactly the original training split
    assert _pixels(ds, ds.test_images) == _pixels(full, full.test_images)
    both = torch.cat([ds.train_images, ds.val_images])
    assert _pixels(ds, both) == _pixels(full, full.train_images)
    # stratified: each class's share of the validation set is its share of the training split
    share = torch.bincount(full.train_labels) * 0.2
    assert (torch.bincount(ds.val_labels) - share).abs().max() <= 1


def test_choose_rates_picks_the_best_validation_rate_not_the_best_test_rate():
    blocks = [("Random real", 0.01, [0, 1]), ("Random real", 0.1, [2, 3]), ("k-means", 0.01, [4])]
    val = torch.tensor([0.6, 0.6, 0.5, 0.5, 0.7])  # 0.01 best on validation
    test = torch.tensor([0.5, 0.5, 0.9, 0.9, 0.4])  # 0.1 best on test
    chosen, grid = choose_rates(blocks, val, test)
    assert chosen == {"Random real": 0.01, "k-means": 0.01}
    assert isinstance(grid, pd.DataFrame)
    assert grid.loc[("Random real", 0.1), "test"] == 90.0
    assert grid.loc[("Random real", 0.01), "val"] == 60.0


def test_assemble_joins_networks_and_keeps_the_validation_chosen_rate():
    from types import SimpleNamespace

    from support.distill.config import config
    from support.distill.evaluate import Accuracies
    from support.distill.experiments import assemble

    cfg = config("smoke")  # random_lrs (0.01, 0.05)
    res = SimpleNamespace(names=["MTT", "MTT"], seeds=[0, 1])
    res.rows = lambda name: [i for i, n in enumerate(res.names) if n == name]
    run = SimpleNamespace(result=res, config=SimpleNamespace(ipc=1))
    # rows: random at 0.01 (seeds 0, 1), random at 0.05 (seeds 0, 1), MTT (seeds 0, 1)
    test = [
        torch.tensor([[0.1], [0.2], [0.3], [0.4], [0.5], [0.6]]) + 0.01 * net for net in range(2)
    ]
    val = [torch.tensor([[0.9], [0.9], [0.1], [0.1], [0.0], [0.0]]) for _ in range(2)]
    nets = [Accuracies(t, t + 0.05, v) for t, v in zip(test, val)]
    ev = assemble(cfg, run, nets)
    assert ev.baseline_lrs == {"Random real": 0.01}  # best on validation, not on test
    assert ev.names == ["Random real", "Random real", "MTT", "MTT"] and ev.seeds == [0, 1, 0, 1]
    expected = torch.tensor([[0.1, 0.11], [0.2, 0.21], [0.5, 0.51], [0.6, 0.61]])
    torch.testing.assert_close(ev.acc, expected)
    torch.testing.assert_close(ev.best, expected + 0.05)
