import pytest

from app.data import (
    DEFAULT_MAX_SIZE,
    FullHistoryExtractor,
    LatestValueExtractor,
    Retention,
    UpdateExtractor,
    WindowExtractor,
)


def test_each_extractor_reports_the_frames_it_needs():
    assert LatestValueExtractor().retention() == Retention(frames=1)
    assert WindowExtractor(100).retention() == Retention(frames=100)
    assert FullHistoryExtractor().retention() == Retention(frames=DEFAULT_MAX_SIZE)
    assert DEFAULT_MAX_SIZE == 10_000


def test_window_extractor_exposes_its_size_as_window_size():
    assert WindowExtractor(size=7).window_size == 7
    assert WindowExtractor(7) == WindowExtractor(size=7)


@pytest.mark.parametrize("size", [0, -3])
def test_window_extractor_rejects_an_empty_window(size):
    with pytest.raises(ValueError, match="at least 1"):
        WindowExtractor(size)


def test_retention_union_satisfies_both():
    assert Retention(3).union(Retention(10)) == Retention(10)
    assert Retention(10).union(Retention(3)) == Retention(10)
    with pytest.raises(ValueError, match="at least one frame"):
        Retention(0)


def test_extractors_satisfy_the_protocol():
    for extractor in (
        LatestValueExtractor(),
        WindowExtractor(2),
        FullHistoryExtractor(),
    ):
        assert isinstance(extractor, UpdateExtractor)
    assert not isinstance(object(), UpdateExtractor)
