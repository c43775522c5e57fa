import numpy as np
import pytest

from support.data.errors import MissingDataError
from support.influence.data import PAPER_DATASETS, load_dataset, load_embedded, load_paper_dataset


def test_twenty_two_paper_datasets():
    assert len(PAPER_DATASETS) == 22
    tasks = [s.task for s in PAPER_DATASETS.values()]
    assert (
        tasks.count("binary") == 13
        and tasks.count("regression") == 8
        and tasks.count("multiclass") == 1
    )


def test_missing_file_names_file_and_source(tmp_path):
    with pytest.raises(MissingDataError) as info:
        load_paper_dataset("spambase", tmp_path)
    msg = str(info.value)
    assert "spambase.data" in msg and "archive.ics.uci.edu" in msg


def test_reads_headerless_csv(tmp_path):
    (tmp_path / "spambase").mkdir()
    rows = np.random.default_rng(0).random((6, 58))
    rows[:, 57] = [0, 1, 0, 1, 1, 0]
    np.savetxt(tmp_path / "spambase" / "spambase.data", rows, delimiter=",")
    X, y, task = load_paper_dataset("spambase", tmp_path)
    assert X.shape == (6, 57) and task == "binary" and y.tolist() == [0, 1, 0, 1, 1, 0]


def test_reads_named_target_text_columns_and_missing(tmp_path):
    (tmp_path / "no_show").mkdir()
    (tmp_path / "no_show" / "KaggleV2-May-2016.csv").write_text(
        "PatientId,AppointmentID,Gender,ScheduledDay,AppointmentDay,Age,No-show\n"
        "1,1,F,x,x,30,No\n2,2,M,x,x,,Yes\n3,3,F,x,x,50,No\n"
    )
    X, y, task = load_paper_dataset("no_show", tmp_path)
    assert y.tolist() == [0, 1, 0] and X.shape == (3, 3)  # Age + Gender one-hot
    assert not np.isnan(X).any() and X[1, 0] == 40.0  # median fill


def test_wine_concatenates_and_vaccine_joins(tmp_path):
    (tmp_path / "wine").mkdir()
    for f in ("winequality-red.csv", "winequality-white.csv"):
        (tmp_path / "wine" / f).write_text("a;b;quality\n1;2;5\n3;4;6\n")
    X, y, task = load_paper_dataset("wine", tmp_path)
    assert X.shape == (4, 2) and task == "regression" and y.tolist() == [5, 6, 5, 6]
    (tmp_path / "vaccine").mkdir()
    (tmp_path / "vaccine" / "training_set_features.csv").write_text(
        "respondent_id,f\n0,1.5\n1,2.5\n"
    )
    (tmp_path / "vaccine" / "training_set_labels.csv").write_text(
        "respondent_id,h1n1_vaccine,seasonal_vaccine\n0,1,0\n1,0,1\n"
    )
    X, y, _ = load_paper_dataset("vaccine", tmp_path)
    assert y.tolist() == [1, 0] and X.shape == (2, 2)


def test_embedded_and_errors():
    X, y, task = load_embedded("synth", n_synth=300)
    assert X.shape == (300, 40) and task == "binary"
    with pytest.raises(ValueError, match="DATA_DIR"):
        load_dataset("adult")
    with pytest.raises(ValueError, match="name must be one of"):
        load_paper_dataset("nope", ".")
