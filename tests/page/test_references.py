import os

import numpy as np
import pytest
import scipp as sc

from app.limits import MAX_REFERENCE_VALUES
from app.page.references import REFERENCE_NAME, ReferenceError, ReferenceStore


def frame(offset: float, size: int = 8) -> sc.DataArray:
    return sc.DataArray(
        sc.array(dims=["tof"], values=np.arange(size) + offset, unit="counts"),
        coords={"tof": sc.arange("tof", size + 1.0, unit="us")},
        name="monitor/m1",
    )


def test_a_kept_frame_reads_back_identical_by_its_name(tmp_path) -> None:
    store = ReferenceStore(tmp_path)
    name = store.keep(frame(1.0))
    assert REFERENCE_NAME.fullmatch(name)
    assert (tmp_path / "references" / f"{name}.h5").exists()
    assert sc.identical(ReferenceStore(tmp_path).load(name), frame(1.0))


def test_the_same_frame_is_kept_once(tmp_path) -> None:
    store = ReferenceStore(tmp_path)
    assert store.keep(frame(1.0)) == store.keep(frame(1.0))
    assert len(list(store.directory.glob("*.h5"))) == 1


def test_a_name_not_kept_or_not_a_name_is_a_reference_error(tmp_path) -> None:
    store = ReferenceStore(tmp_path)
    with pytest.raises(ReferenceError, match=r"is not kept \(any more\)"):
        store.load("0" * 32)
    with pytest.raises(ReferenceError, match="is not the name of a reference"):
        store.load("../audit")


def test_a_frame_beyond_the_bound_is_not_kept_naming_the_bound(tmp_path) -> None:
    big = sc.DataArray(sc.zeros(dims=["x"], shape=[MAX_REFERENCE_VALUES + 1]))
    with pytest.raises(ReferenceError, match="more than the 1,048,576"):
        ReferenceStore(tmp_path).keep(big)
    assert not list((tmp_path / "references").glob("*"))


def test_beyond_the_bytes_bound_the_least_recently_used_go_first(tmp_path) -> None:
    store = ReferenceStore(tmp_path)
    first = store.keep(frame(1.0))
    size = (store.directory / f"{first}.h5").stat().st_size
    store = ReferenceStore(tmp_path, max_bytes=int(2.5 * size))
    second = store.keep(frame(2.0))
    # The first is read again: the second is now the least recently used.
    os.utime(store.directory / f"{second}.h5", ns=(1, 1))
    store.load(first)
    third = store.keep(frame(3.0))

    kept = {path.stem for path in store.directory.glob("*.h5")}
    assert kept == {first, third}
