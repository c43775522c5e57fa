import pytest
import torch

from support.distill.convnet import ConvNetSpec, forward, init_params, load_module
from support.distill.train import SGDConfig, train


@pytest.mark.parametrize(
    "spec",
    [
        ConvNetSpec(1, 8, 10, width=6, depth=2),
        ConvNetSpec(1, 28, 10, width=4, depth=3),
        ConvNetSpec(3, 32, 5, width=4, depth=3),
    ],
)
def test_functional_forward_equals_module(spec):
    params = init_params(spec, 3, torch.Generator().manual_seed(0))
    params = params + 0.1 * torch.randn(
        params.shape, generator=torch.Generator().manual_seed(1)
    )  # non-trivial norms
    x = torch.randn(3, 5, spec.channels, spec.size, spec.size)
    out = forward(spec, params, x)
    for s in range(3):
        torch.testing.assert_close(out[s], load_module(spec, params[s])(x[s]), rtol=1e-5, atol=1e-5)


def test_parameter_counts_match_mtt():
    assert ConvNetSpec(3, 32, 10).num_params == 320_010  # CIFAR-10
    assert ConvNetSpec(3, 32, 100).num_params == 504_420  # CIFAR-100
    assert ConvNetSpec(1, 28, 10).num_params == 317_706  # MNIST: first conv pads 3 -> 32x32
    assert ConvNetSpec(1, 28, 10).first_padding == 3 and ConvNetSpec(1, 32, 10).first_padding == 1


def test_shape_errors_are_clear():
    spec = ConvNetSpec(1, 8, 10, width=4, depth=2)
    p = init_params(spec, 2)
    with pytest.raises(ValueError, match="trailing image shape"):
        forward(spec, p, torch.zeros(2, 3, 1, 28, 28))
    with pytest.raises(ValueError, match="matching params"):
        forward(spec, p, torch.zeros(3, 3, 1, 8, 8))
    with pytest.raises(ValueError, match="depth"):
        ConvNetSpec(1, 8, 10, depth=4)


def test_batched_sgd_equals_torch_optim_on_module():
    """Functional SGD (momentum + weight decay, lr decay) matches torch.optim.SGD on the nn.Module."""
    spec = ConvNetSpec(1, 8, 3, width=4, depth=2)
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(12, 1, 8, 8, generator=gen), torch.randint(3, (12,), generator=gen)
    cfg = SGDConfig(
        epochs=3,
        lr=0.05,
        momentum=0.9,
        weight_decay=1e-3,
        batch_size=12,
        decay_epoch=2,
        decay_factor=0.5,
    )
    p0 = init_params(spec, 1, gen)
    ours = train(spec, p0, x, y, cfg)
    net = load_module(spec, p0[0])
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    for epoch in range(3):
        if epoch == 2:
            opt.param_groups[0]["lr"] *= 0.5
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()  # full batch: order is irrelevant
        opt.step()
    torch.testing.assert_close(
        ours[0], torch.nn.utils.parameters_to_vector(net.parameters()), rtol=1e-4, atol=1e-5
    )
