"""The optimiser's storage and step: all problems' images and masks in one buffer, and Adam on it."""

from __future__ import annotations

import math

import torch

_BETAS, _EPS = (0.9, 0.999), 1e-8


class _Packed:
    """The images and masks of all problems in one flat buffer, block after block.

    ``x`` and ``masks`` are views of the buffer with their stacked shapes, the
    images first (laid out as a plain stacked tensor). Adam, clipping and the
    best-iterate copy act on the whole buffer: a few operations a step rather
    than a few per tensor. ``row[e]`` is the problem of element ``e``.
    """

    def __init__(self, x, masks):
        blocks = [x, *masks]
        self.shapes = [b.shape for b in blocks]
        self.data = torch.cat([b.reshape(-1) for b in blocks])
        self.x, self.masks = self.views(self.data)
        self.n_x = x.numel()
        problems = torch.arange(len(x), device=x.device)
        self.row = torch.cat([problems.repeat_interleave(b[0].numel()) for b in blocks])

    def per_element(self, values):
        """Per-problem ``values`` ``(n,)`` spread over the buffer's elements (broadcast for one problem)."""
        return values if len(values) == 1 else values[self.row]

    def views(self, data):
        """``(x, masks)``: views of a buffer laid out as ``data``."""
        sizes = [math.prod(shape) for shape in self.shapes]
        views = [v.view(shape) for v, shape in zip(data.split(sizes), self.shapes)]
        return views[0], views[1:]

    def gradient(self, blocks, idx, everyone):
        """A buffer holding ``blocks`` (see :class:`~support.inversion.strategies._Gradients`) at problems ``idx``, zeros elsewhere."""
        if everyone:
            return torch.cat([t.reshape(-1) for block in blocks for t in block])
        g = torch.zeros_like(self.data)
        gx, gm = self.views(g)
        for view, block in zip([gx, *gm], blocks):
            view[idx] = torch.cat(block)
        return g

    def bounds(self, box):
        """Per-element ``(lo, hi)``: ``box``'s ``(C,)`` bounds on the images (none if None), [0, 1] on the masks."""
        if box is None:
            lo, hi = torch.full_like(self.x, -math.inf), torch.full_like(self.x, math.inf)
        else:
            lo, hi = (b.reshape(1, 1, -1, 1, 1).expand_as(self.x) for b in box)
        zeros = self.data.new_zeros(self.data.numel() - self.n_x)
        return torch.cat([lo.reshape(-1), zeros]), torch.cat([hi.reshape(-1), zeros + 1])

    def project(self, lo, hi):
        """Clip the buffer to per-element bounds (see :meth:`bounds`), in place.

        ``clamp`` equals ``max(min(x, hi), lo)`` as ``lo <= hi``. Stopped
        problems are clipped again too: they were clipped when they last
        moved, so it leaves them as they are.
        """
        self.data.clamp_(lo, hi)


class _Adam:
    """Element-wise Adam (torch's update) on one buffer, with a step size and step count per problem."""

    def __init__(self, data):
        self.m, self.v = torch.zeros_like(data), torch.zeros_like(data)

    def step(self, p, g, size, c2s):
        """``p -= size * m / (sqrt(v) / c2s + eps)`` after the moment updates; ``size``, ``c2s`` per element.

        A stopped problem has a zero gradient and ``size`` 0: it keeps its
        iterate (its moments decay, but are never used again).
        """
        b1, b2 = _BETAS
        self.m.mul_(b1).add_(g, alpha=1 - b1)
        self.v.mul_(b2).addcmul_(g, g, value=1 - b2)
        p.sub_(size * self.m / (self.v.sqrt() / c2s).add_(_EPS))


def _bias_corrected(lr, t):
    b1, b2 = _BETAS
    c1, c2 = 1 - b1**t, 1 - b2**t
    return lr / c1, c2.sqrt()


def _step_sizes(lr, t, rows):
    """Adam's ``lr / (1 - b1^t)`` and ``sqrt(1 - b2^t)`` per problem: 0 and 1 for stopped problems.

    Computed on the running problems alone, as before the buffer was shared:
    the last bit of a vectorised ``pow`` depends on the element's position.
    """
    if isinstance(rows, slice):
        return _bias_corrected(lr, t)
    size, c2s = _bias_corrected(lr[rows], t[rows])
    full_size, full_c2s = torch.zeros_like(lr), torch.ones_like(lr)
    full_size[rows], full_c2s[rows] = size, c2s
    return full_size, full_c2s
