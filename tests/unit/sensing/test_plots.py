from support.sensing.plots import spaced_labels


def test_spaced_labels_blank_crowded_ticks_and_keep_the_ends():
    labels = spaced_labels([0.5, 0.35, 0.25, 0.18, 0.1, 0.02])
    assert labels == ["0.02", "0.1", "", "0.25", "", "0.5"]
    assert spaced_labels([1.0, 10.0]) == ["1", "10"]
