"""Tiny fake data sets in the real distribution formats, one module per paper.

Each module ``<paper>.py`` defines ``write(data_dir: pathlib.Path) -> None``,
which writes into ``data_dir`` the files the notebook's ``paper`` profile reads
from ``DATA_DIR`` (CIFAR-10 binary batches, MNIST IDX, the GBDT CSVs...), at a
size the ``paper_smoke`` profile can run in well under a minute. Papers whose
paper profile needs no files write nothing.
"""
