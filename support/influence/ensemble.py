"""One parsed tree-ensemble structure shared by every explainer.

A fitted GBDT from any supported library is turned into a :class:`TreeEnsemble`:
flat node arrays for every tree, the stored leaf values (learning rate
included), the margin-space bias and the loss the library optimised. Every
explainer works on this structure only, so adding a library means adding a
parser, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .losses import Objective, get_objective


class UnsupportedModelError(ValueError):
    """The model uses a setting under which the exact-Newton leaf assumption fails."""


@dataclass
class Tree:
    """A binary tree as flat node arrays (scikit-learn style).

    Parameters
    ----------
    feature : ndarray of int, shape (n_nodes,)
        Split feature of each node, ``-1`` at leaves.
    threshold : ndarray of float, shape (n_nodes,)
        Split threshold (ignored at leaves).
    left, right : ndarray of int, shape (n_nodes,)
        Children (node ids within the tree), ``-1`` at leaves.
    leaf_value : ndarray of float, shape (n_nodes,)
        Stored output at leaves (learning rate included), 0 at internal nodes.
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf_value: np.ndarray
    leaf_index: np.ndarray = field(init=False)

    def __post_init__(self):
        self.feature = np.asarray(self.feature, dtype=np.int64)
        self.threshold = np.asarray(self.threshold, dtype=np.float64)
        self.left = np.asarray(self.left, dtype=np.int64)
        self.right = np.asarray(self.right, dtype=np.int64)
        self.leaf_value = np.asarray(self.leaf_value, dtype=np.float64)
        is_leaf = self.left < 0
        # leaves numbered 0..L-1 in node order
        self.leaf_index = np.where(is_leaf, np.cumsum(is_leaf) - 1, -1)

    @property
    def n_leaves(self) -> int:
        """Number of leaves."""
        return int((self.left < 0).sum())

    @property
    def values(self) -> np.ndarray:
        """Stored leaf values ordered by leaf index, shape (n_leaves,)."""
        return self.leaf_value[self.left < 0]


@dataclass
class TreeEnsemble:
    """A parsed gradient-boosted ensemble.

    Parameters
    ----------
    trees : list of Tree
        ``n_rounds * n_outputs`` trees; tree ``j`` belongs to round ``j // n_outputs``
        and output (class) ``j % n_outputs``.
    objective : str
        ``"regression"``, ``"binary"`` or ``"multiclass"``.
    bias : ndarray, shape (n_outputs,)
        Margin-space initial prediction.
    learning_rate : float
        Shrinkage the stored leaf values include.
    l2 : float
        L2 leaf penalty lambda.
    hess_factor : float
        Factor the library multiplies the softmax Hessian by (1 otherwise).
    strict : bool
        True when a split sends ``x < threshold`` left (XGBoost), False for ``<=``.
    float32 : bool
        Compare features as float32 (XGBoost, scikit-learn trees).
    library : str
        Which library the model came from.
    """

    trees: list
    objective: str
    bias: np.ndarray
    learning_rate: float
    l2: float = 0.0
    hess_factor: float = 1.0
    strict: bool = False
    float32: bool = False
    library: str = ""
    n_features: int | None = None
    # optional library-native leaf lookup (X -> our leaf ids, shape (n, n_trees)); the
    # generic traversal below is the reference it is tested against
    native_apply: object = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        self.bias = np.atleast_1d(np.asarray(self.bias, dtype=np.float64))
        self.loss: Objective = get_objective(
            self.objective, n_outputs=len(self.bias), hess_factor=self.hess_factor
        )
        if len(self.trees) % self.n_outputs:
            raise ValueError(
                f"{len(self.trees)} trees is not a multiple of {self.n_outputs} outputs"
            )
        sizes = np.array([len(t.feature) for t in self.trees])
        self._node_offset = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        cat = np.concatenate
        off = np.repeat(self._node_offset, sizes)
        self._feature = cat([t.feature for t in self.trees])
        self._threshold = cat([t.threshold for t in self.trees])
        self._left = np.where(
            cat([t.left for t in self.trees]) >= 0, cat([t.left for t in self.trees]) + off, -1
        )
        self._right = np.where(
            cat([t.right for t in self.trees]) >= 0, cat([t.right for t in self.trees]) + off, -1
        )
        self._leaf_index = cat([t.leaf_index for t in self.trees])
        self._children = np.stack([self._left, self._right], axis=1).ravel()  # 2 * node + go_right
        self.n_leaves = np.array([t.n_leaves for t in self.trees])
        self.leaf_offset = np.concatenate([[0], np.cumsum(self.n_leaves)[:-1]])
        self.leaf_values = cat([t.values for t in self.trees])  # global leaf column -> stored value
        if self.float32:
            self._threshold = self._threshold.astype(np.float32)

    # -- shape ---------------------------------------------------------------
    @property
    def n_outputs(self) -> int:
        """Margins per example: number of classes for multiclass, else 1."""
        return len(self.bias)

    @property
    def n_trees(self) -> int:
        """Total number of trees (rounds times outputs)."""
        return len(self.trees)

    @property
    def n_rounds(self) -> int:
        """Boosting rounds."""
        return self.n_trees // self.n_outputs

    @property
    def total_leaves(self) -> int:
        """Number of leaves summed over all trees."""
        return int(self.n_leaves.sum())

    @property
    def tree_output(self) -> np.ndarray:
        """Output (class) index of each tree, shape (n_trees,)."""
        return np.arange(self.n_trees) % self.n_outputs

    # -- traversal -----------------------------------------------------------
    def _check_X(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"X must be a 2-D array, got shape {X.shape}")
        if self.n_features is not None and X.shape[1] != self.n_features:
            raise ValueError(
                f"X has {X.shape[1]} features; the model was fitted on {self.n_features}"
            )
        if np.isnan(X).any():
            raise ValueError("X contains NaN; missing-value routing is not supported")
        return X.astype(np.float32) if self.float32 else X

    def apply(self, X) -> np.ndarray:
        """Leaf index (0..L-1 within each tree) of every example in every tree, shape (n, n_trees)."""
        X = self._check_X(X)
        if self.native_apply is not None:
            return self.native_apply(X)
        return self.traverse(X)

    def traverse(self, X) -> np.ndarray:
        """:meth:`apply` by walking the parsed trees (vectorised over examples and trees)."""
        X = self._check_X(X)
        n, d = X.shape
        T = self.n_trees
        flat = X.ravel()
        # one flat (example, tree) cursor per pair; pairs that reach a leaf leave the active set,
        # so the work is the total path length, not n * T * max depth
        node = np.tile(self._node_offset, n)
        base = np.repeat(np.arange(n, dtype=np.int64) * d, T)
        pos = np.arange(n * T)
        out = np.empty(n * T, dtype=np.int64)
        while len(pos):
            f = self._feature[node]
            done = f < 0
            if done.any():
                out[pos[done]] = node[done]
                keep = ~done
                pos, node, base, f = pos[keep], node[keep], base[keep], f[keep]
            x = flat[base + f]
            t = self._threshold[node]
            go_right = x >= t if self.strict else x > t
            node = self._children[2 * node + go_right]
        return self._leaf_index[out].reshape(n, T)

    def leaf_columns(self, leaves: np.ndarray) -> np.ndarray:
        """Global leaf column ids (0..total_leaves-1) from per-tree leaf ids."""
        return leaves + self.leaf_offset[None, :]

    # -- predictions -----------------------------------------------------------
    def tree_values(self, leaves: np.ndarray) -> np.ndarray:
        """Stored value each example receives from each tree, shape (n, n_trees)."""
        return self.leaf_values[self.leaf_columns(leaves)]

    def staged_margins(
        self, leaves: np.ndarray | None = None, columns: np.ndarray | None = None
    ) -> np.ndarray:
        """Margin *before* each round, shape (n_rounds + 1, n, n_outputs); the last entry is final.

        ``columns``, if given, is ``leaf_columns(leaves)`` already computed (``leaves`` is then unused).
        """
        columns = self.leaf_columns(leaves) if columns is None else columns
        n, R, K = columns.shape[0], self.n_rounds, self.n_outputs
        out = np.empty((R + 1, n, K))
        out[0] = self.bias
        run = out[1:]
        # mode="clip" (the columns are valid) keeps take from buffering a copy of out
        np.take(self.leaf_values, columns.reshape(n, R, K).transpose(1, 0, 2), out=run, mode="clip")
        # a running sum round by round: the same additions as np.cumsum(axis=0), several
        # times faster (numpy's cumsum strides along the summed axis)
        for r in range(1, R):
            run[r] += run[r - 1]
        run += self.bias
        return out

    def raw_predict(self, X) -> np.ndarray:
        """Margin-space prediction, shape (n, n_outputs)."""
        leaves = self.apply(X)
        vals = self.tree_values(leaves).reshape(len(leaves), self.n_rounds, self.n_outputs)
        return self.bias + vals.sum(axis=1)

    def predict(self, X) -> np.ndarray:
        """Prediction in output space: value (regression) or class probabilities, shape (n, n_outputs)."""
        return self.loss.link(self.raw_predict(X))
