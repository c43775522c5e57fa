"""Dataset distillation by trajectory matching: MTT (Cazenavette et al. 2022) and AST (Shen, Yang, Lam 2023).

Modules, one idea each:

- :mod:`.convnet`   ConvNet-D run functionally on flat parameter vectors, batched over independent networks
- :mod:`.augment`   differentiable siamese augmentation (DSA)
- :mod:`.zca`       ZCA whitening with its inverse
- :mod:`.train`     batched SGD training of networks (experts, evaluation nets)
- :mod:`.experts`   expert trajectories (plain MTT and AST smooth experts), cached per epoch
- :mod:`.init`      synthetic-set initialisation and coreset baselines (random, k-means on expert logits)
- :mod:`.matching`  the normalised parameter-matching loss
- :mod:`.distill`   the distillation loop with AST's switches (common random numbers per seed)
- :mod:`.ablation`  the ablation's variants, smoothness scores, paired effects with 95 % intervals
- :mod:`.evaluate`  MTT's evaluation protocol
- :mod:`.config`    the smoke / cpu / paper / paper_smoke profiles
- :mod:`.experiments` the notebook's experiments (expert sets, distillation runs, evaluation)
- :mod:`.claims`    the notebook's claims, one function each, behind ``record_claims``
- :mod:`.published` published CIFAR-10 numbers with their sources
- :mod:`.validate`  argument checks with clear errors
- :mod:`.plots`     the notebook's figures
"""
