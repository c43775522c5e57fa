import torch
from torch import nn

from support.inversion.client import client_update
from support.inversion.labels import infer_labels, label_accuracy
from support.inversion.models import build_model


def test_client_gradient_equals_hand_made_autograd_with_recorded_masks():
    """The client's gradient is d CE / d theta of the thinned network its recorded masks define."""
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Flatten(), nn.Linear(12, 6, bias=False), nn.GELU(), nn.Dropout(0.5), nn.Linear(6, 3)
    )
    x, y = torch.randn(2, 1, 3, 4), torch.tensor([2, 0])
    upd = client_update(model, x, y, seed=7)
    (mask,) = upd.masks.values()
    assert mask.shape == (2, 6) and 0 < mask.sum() < 12
    w1, w2, b2 = (p.detach().clone().requires_grad_(True) for p in model.parameters())
    h = torch.nn.functional.gelu(x.flatten(1) @ w1.T) * mask / 0.5
    loss = torch.nn.functional.cross_entropy(h @ w2.T + b2, y)
    expected = torch.autograd.grad(loss, (w1, w2, b2))
    for g, e in zip(upd.gradients, expected):
        torch.testing.assert_close(g, e)
    assert model[3].__class__ is nn.Dropout  # the caller's model keeps its layers


def test_client_gradient_matches_finite_differences_in_float64():
    model = build_model("mlp", (1, 3, 3), num_classes=4, width=5, depth=2, p=0.3, seed=0).double()
    x, y = torch.randn(1, 1, 3, 3, dtype=torch.float64), torch.tensor([1])
    upd = client_update(model, x, y, seed=3)
    masks = list(upd.masks.values())
    w = [p.detach().clone() for p in model.parameters()]

    def loss(ws):
        h = x.flatten(1)
        for wi, m in zip(ws[:-1], masks):
            h = torch.nn.functional.gelu(h @ wi.T) * m / 0.7
        return torch.nn.functional.cross_entropy(h @ ws[-1].T, y)

    eps = 1e-6
    for k in range(len(w)):
        for idx in [(0, 0), (1, 2)]:
            plus = [t.clone() for t in w]
            minus = [t.clone() for t in w]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            fd = (loss(plus) - loss(minus)) / (2 * eps)
            assert abs(fd.item() - upd.gradients[k][idx].item()) < 1e-7


def test_client_masks_are_reproducible_by_seed():
    model = build_model("mlp", (1, 4, 4), width=8, p=0.5)
    x, y = torch.randn(1, 1, 4, 4), torch.tensor([3])
    a, b, c = (client_update(model, x, y, seed=s) for s in (1, 1, 2))
    assert all(torch.equal(a.masks[k], b.masks[k]) for k in a.masks)
    assert any(not torch.equal(a.masks[k], c.masks[k]) for k in a.masks)


def test_label_inference_is_exact_for_batch_size_one():
    for arch, p in (("mlp", 0.0), ("mlp", 0.5), ("cnn", 0.25)):
        model = (
            build_model(arch, (1, 8, 8), width=16, p=p, seed=2)
            if arch == "mlp"
            else build_model(arch, (1, 8, 8), p=p)
        )
        for i in range(10):
            x, y = torch.randn(1, 1, 8, 8), torch.tensor([i])
            upd = client_update(model, x, y, seed=i)
            assert infer_labels(model, upd.gradients, 1).tolist() == [i]


def test_label_accuracy_is_order_free():
    assert label_accuracy([3, 1, 1], [1, 3, 1]) == 1.0
    assert label_accuracy([3, 3, 1], [1, 3, 2]) == 2 / 3
