import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from support.inversion import plots  # noqa: E402


def _scores():
    by_attack = {
        "ig": [0.5, 0.6, 0.7],
        "ig-train": [-0.6, 0.2, 0.9],  # a spread that reaches below SSIM -0.1
        "dia-frozen": [0.6, 0.6, 0.6],
        "dia-noreg": [1.0, 1.0, 1.0],
        "dia": [1.0, 0.9, 1.0],
        "wiig": [1.0, 1.0, 1.0],
    }
    rows = [
        dict(setup="s", p=p, attack=a, seed=0, image=i, ssim=x, psnr=20.0 + i)
        | dict(mask_agreement=[0.7, 1.0, 1.0][i])
        for p in (0.0, 0.5)
        for a, v in by_attack.items()
        for i, x in enumerate(v)
    ]
    return pd.DataFrame(rows)


def _inside(ax, lo, hi):
    y0, y1 = ax.get_ylim()
    return y0 <= lo and hi <= y1


def test_error_bars_stay_on_the_axes():
    # issue 20 item 6: mean +- std of a bounded metric may leave its range; the axes must hold it
    d = _scores()
    e = d[(d.attack == "ig-train") & (d.p == 0.5)].ssim
    lo = e.mean() - e.std()
    assert _inside(plots.ablation_bars(d).axes[0], lo, 1.0)
    m = d[(d.attack == "dia") & (d.p == 0.5)].mask_agreement
    assert _inside(plots.mask_agreement(d).axes[0], 0.4, m.mean() + m.std())
    fig = plots.metric_vs_rate(d, attacks=("ig-train", "dia"))
    assert _inside(fig.axes[0], lo, 1.0) and np.isfinite(fig.axes[1].get_ylim()).all()
