"""Profiles: the paper profile carries the published C10 settings; cpu/smoke keep one further IPC."""

import pytest

from support.distill.config import IPCSetting, config

# FTD Table 7, C10 columns (research note dataset_distillation.md): IPC -> (N, M, T+, lr_img, lr_lr).
C10_TABLE = {
    1: (50, 2, 2, 100.0, 1e-7),
    10: (30, 2, 20, 100.0, 1e-5),
    50: (30, 2, 40, 1000.0, 1e-5),
}


def _row(s: IPCSetting):
    return (s.syn_steps, s.match_epochs, s.max_start_epoch, s.lr_img, s.lr_lr)


def test_paper_profile_matches_the_c10_table():
    cfg = config("paper")
    settings = {s.ipc: s for s in (cfg.ablation, *cfg.extra)}
    assert sorted(settings) == [1, 10, 50]
    for ipc, row in C10_TABLE.items():
        assert _row(settings[ipc]) == pytest.approx(row), ipc
        assert settings[ipc].batch_syn == 0  # batch_syn: all
        # the experts must cover every start epoch plus M
        assert settings[ipc].max_start_epoch - 1 + settings[ipc].match_epochs <= cfg.expert_epochs


@pytest.mark.parametrize("profile, ipc", [("cpu", 10), ("smoke", 2)])
def test_small_profiles_have_one_further_ipc(profile, ipc):
    cfg = config(profile)
    assert [s.ipc for s in cfg.extra] == [ipc]
    assert cfg.ablation.ipc == 1 and cfg.ablation.batch_syn == 0
