"""An isolation forest as plain arrays: fitted by scikit-learn, stored and scored without it.

The anomaly detector adds an isolation forest's score to its likelihood (``OutlierDetector(isolation=)``).
A saved model holds no pickled objects, so the forest is kept as the arrays of its nodes, every tree
side by side, and scored here by walking them in NumPy: the same numbers as scikit-learn's
``IsolationForest.score_samples`` (Liu, Ting & Zhou 2008), whatever scikit-learn version loads the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def average_path_length(n: np.ndarray) -> np.ndarray:
    """c(n), the average path length of an unsuccessful search in a binary search tree of n points
    (0 for n <= 1, 1 for n = 2); float64 of n's shape."""
    n = np.asarray(n, dtype=np.float64)
    out = np.zeros_like(n)
    out[n == 2] = 1.0
    big = n > 2
    out[big] = 2.0 * (np.log(n[big] - 1.0) + np.euler_gamma) - 2.0 * (n[big] - 1.0) / n[big]
    return out


@dataclass(eq=False)
class IsolationTrees:
    """Every tree's nodes, side by side (node i of the forest; ``roots`` says where each tree starts).

    Attributes
    ----------
    feature : int64 (n_nodes,)
        The column a node splits on (in the rows as given); -1 at a leaf.
    threshold : float64 (n_nodes,)
        A row goes left when its value (as float32, as scikit-learn reads it) is at most this.
    left, right : int64 (n_nodes,)
        The children's node indices; -1 at a leaf.
    leaf_length : float64 (n_nodes,)
        At a leaf: its depth plus c(the training rows that reached it), the path length it stands for.
    roots : int64 (n_trees,)
    normalizer : float
        c(the rows each tree was grown on).
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf_length: np.ndarray
    roots: np.ndarray
    normalizer: float

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IsolationTrees):
            return NotImplemented
        mine, theirs = self.arrays(), other.arrays()
        return self.normalizer == other.normalizer and all(np.array_equal(mine[k], theirs[k]) for k in mine)

    __hash__ = None  # type: ignore[assignment]  # mutable arrays: not hashable, as a dataclass with eq

    @classmethod
    def fit(cls, X: np.ndarray, random_state: int) -> IsolationTrees:
        """Grow scikit-learn's ``IsolationForest`` (its defaults) on X (n, n_features) and keep its nodes."""
        from sklearn.ensemble import IsolationForest

        forest = IsolationForest(random_state=random_state).fit(np.asarray(X, dtype=np.float64))
        return cls.from_sklearn(forest)

    @classmethod
    def from_sklearn(cls, forest: Any) -> IsolationTrees:
        """The nodes of a fitted ``sklearn.ensemble.IsolationForest``."""
        parts: dict[str, list[np.ndarray]] = {k: [] for k in ("feature", "threshold", "left", "right", "leaf")}
        roots, start = [], 0
        for tree, columns in zip(forest.estimators_, forest.estimators_features_):
            t = tree.tree_
            leaf = t.children_left < 0
            depth = np.zeros(t.node_count)
            for node in range(t.node_count):  # children come after their parent in scikit-learn's arrays
                if not leaf[node]:
                    depth[t.children_left[node]] = depth[t.children_right[node]] = depth[node] + 1
            parts["feature"].append(np.where(leaf, -1, np.asarray(columns)[np.maximum(t.feature, 0)]))
            parts["threshold"].append(np.asarray(t.threshold, dtype=np.float64))
            parts["left"].append(np.where(leaf, -1, t.children_left + start))
            parts["right"].append(np.where(leaf, -1, t.children_right + start))
            parts["leaf"].append(np.where(leaf, depth + average_path_length(t.n_node_samples), 0.0))
            roots.append(start)
            start += t.node_count
        return cls(
            feature=np.concatenate(parts["feature"]).astype(np.int64),
            threshold=np.concatenate(parts["threshold"]),
            left=np.concatenate(parts["left"]).astype(np.int64),
            right=np.concatenate(parts["right"]).astype(np.int64),
            leaf_length=np.concatenate(parts["leaf"]),
            roots=np.asarray(roots, dtype=np.int64),
            normalizer=float(average_path_length(np.array([forest.max_samples_]))[0]),
        )

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """``-2 ** (-mean path length / normalizer)`` per row of X (n, n_features), float64 (n,):
        higher is more normal, as scikit-learn's ``IsolationForest.score_samples``."""
        X = np.asarray(X, dtype=np.float32).astype(np.float64)  # compared as scikit-learn's trees compare
        if X.ndim != 2 or X.shape[1] <= int(self.feature.max(initial=-1)):
            raise ValueError(f"X must have shape (n, more than {int(self.feature.max(initial=-1))}), got {X.shape}")
        rows = np.arange(len(X))[:, None]
        node = np.broadcast_to(self.roots, (len(X), len(self.roots))).copy()  # (n, n_trees)
        while True:
            inner = self.left[node] >= 0
            if not inner.any():
                break
            at = node[inner]
            goes_left = X[np.broadcast_to(rows, node.shape)[inner], self.feature[at]] <= self.threshold[at]
            node[inner] = np.where(goes_left, self.left[at], self.right[at])
        mean_length = self.leaf_length[node].mean(axis=1)
        return -(2.0 ** (-mean_length / self.normalizer))

    def arrays(self) -> dict[str, np.ndarray]:
        """The node arrays, by name (for the model file)."""
        return {
            "feature": self.feature,
            "threshold": self.threshold,
            "left": self.left,
            "right": self.right,
            "leaf_length": self.leaf_length,
            "roots": self.roots,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], normalizer: float) -> IsolationTrees:
        """The inverse of :meth:`arrays`; refuses arrays that do not make a forest (ValueError)."""
        missing = {"feature", "threshold", "left", "right", "leaf_length", "roots"} - set(arrays)
        if missing:
            raise ValueError(f"the isolation forest lacks {', '.join(sorted(missing))}")
        trees = cls(
            feature=np.asarray(arrays["feature"], dtype=np.int64),
            threshold=np.asarray(arrays["threshold"], dtype=np.float64),
            left=np.asarray(arrays["left"], dtype=np.int64),
            right=np.asarray(arrays["right"], dtype=np.int64),
            leaf_length=np.asarray(arrays["leaf_length"], dtype=np.float64),
            roots=np.asarray(arrays["roots"], dtype=np.int64),
            normalizer=float(normalizer),
        )
        n = len(trees.feature)
        shapes_agree = all(len(a) == n for a in (trees.threshold, trees.left, trees.right, trees.leaf_length))
        if not shapes_agree or not n or not normalizer > 0 or ((trees.roots < 0) | (trees.roots >= n)).any():
            raise ValueError("the isolation forest's node arrays do not make a forest")
        at = np.arange(n)
        for child in (trees.left, trees.right):  # a child comes after its parent: every walk ends
            if ((child >= 0) & ((child <= at) | (child >= n))).any() or (child < -1).any():
                raise ValueError("the isolation forest's node arrays do not make a forest")
        return trees
