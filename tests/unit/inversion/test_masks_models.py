import pytest
import torch
from torch import nn

from support.inversion.masks import (
    MaskDropout,
    dropout_layers,
    has_dropout,
    mask_shapes,
    set_dropout_rate,
    set_mode,
    with_mask_dropout,
)
from support.inversion.models import ARCHITECTURES, build_model


def test_swap_replaces_every_dropout_and_keeps_weights():
    model = nn.Sequential(
        nn.Linear(4, 5), nn.Dropout(0.3), nn.Sequential(nn.Linear(5, 5), nn.Dropout(0.1))
    )
    swapped = with_mask_dropout(model)
    layers = dropout_layers(swapped)
    assert list(layers) == ["1", "2.1"] and [m.p for m in layers.values()] == [0.3, 0.1]
    assert sum(isinstance(m, nn.Dropout) for m in model.modules()) == 2  # caller's model untouched
    for a, b in zip(model.parameters(), swapped.parameters()):
        assert torch.equal(a, b)


def test_channel_dropout_is_rejected():
    with pytest.raises(TypeError, match="Dropout2d"):
        with_mask_dropout(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Dropout2d(0.5)))


def test_sample_mode_is_inverted_dropout_and_records_its_mask():
    layer = MaskDropout(0.4).train()
    x = torch.randn(200, 50)
    y = layer(x)
    m = layer.last_mask
    assert set(m.unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(y, x * m / 0.6)
    assert abs(1 - m.mean().item() - 0.4) < 0.02
    assert torch.equal(layer.eval()(x), x)


def test_mask_mode_uses_supplied_mask_and_scale():
    layer = MaskDropout(0.5)
    set_mode(layer, "mask")
    layer.mask = torch.tensor([[1.0, 0.0, 0.5]])
    layer.scale = torch.tensor(2.0)
    torch.testing.assert_close(layer(torch.ones(1, 3)), torch.tensor([[2.0, 0.0, 1.0]]))


def test_rates_and_modes_are_validated():
    with pytest.raises(ValueError, match="p must be in"):
        MaskDropout(1.0)
    with pytest.raises(ValueError, match="p must be in"):
        set_dropout_rate(nn.Dropout(), -0.1)
    with pytest.raises(ValueError, match="mode"):
        set_mode(nn.Sequential(MaskDropout()), "train")


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_models_have_dropout_no_batchnorm_and_right_mask_shapes(arch):
    shape = (3, 16, 16)
    kw = {"vit": dict(dim=32, depth=2, heads=4, mlp_dim=32), "resnet18": dict(width=8)}.get(
        arch, {}
    )
    model = build_model(arch, shape, num_classes=7, p=0.2, seed=3, **kw)
    assert has_dropout(model)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    assert model(torch.randn(2, *shape)).shape == (2, 7)
    net = with_mask_dropout(model)
    shapes = mask_shapes(net, (2, *shape))
    assert len(shapes) == sum(isinstance(m, nn.Dropout) for m in model.modules())
    assert all(s[0] == 2 for s in shapes.values())
    if arch == "vit":
        assert len(shapes) == 1 + 4 * 2  # embeddings + 4 per block
        assert any(s == (2, 4, 17, 17) for s in shapes.values())  # attention probabilities
    same = build_model(arch, shape, num_classes=7, p=0.2, seed=3, **kw)
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), same.parameters()))


def test_mlp_is_bias_free_gelu():
    model = build_model("mlp", (1, 8, 8), width=16)
    assert all(m.bias is None for m in model.modules() if isinstance(m, nn.Linear))
    assert sum(isinstance(m, nn.GELU) for m in model.modules()) == 3


def test_build_model_errors():
    with pytest.raises(ValueError, match="arch must be one of"):
        build_model("lenet", (1, 8, 8))
    with pytest.raises(ValueError, match="in_shape"):
        build_model("mlp", (8, 8))
