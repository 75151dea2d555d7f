"""The last step before Bokeh: what every session's plot computes alike."""

import gc
import weakref

import scipp as sc

from app.plotters.columns import axis_label, once_per_value, unit_label


def test_a_result_of_a_value_is_computed_once_per_value_object() -> None:
    calls = []

    @once_per_value
    def total(value: sc.DataArray) -> float:
        calls.append(value)
        return float(value.sum().value)

    window = sc.DataArray(sc.arange("time", 4.0))
    # Every session's plot of a key is handed the same extracted object.
    assert [total(window) for _ in range(3)] == [6.0, 6.0, 6.0]
    assert len(calls) == 1
    # An equal value that is another object is computed for itself.
    assert total(window.copy()) == 6.0
    assert len(calls) == 2


def test_a_result_goes_with_its_value() -> None:
    @once_per_value
    def size(value: sc.DataArray) -> int:
        return value.sizes["time"]

    first = sc.DataArray(sc.arange("time", 4.0))
    assert size(first) == 4
    kept = weakref.ref(first)
    del first
    gc.collect()
    assert kept() is None, "the cache must not keep a value alive"
    # A new value that may reuse the dead one's id gets its own result.
    assert size(sc.DataArray(sc.arange("time", 2.0))) == 2


def test_labels_read_as_before_with_or_without_a_unit() -> None:
    assert axis_label("tof", sc.Unit("us")) == "tof [µs]"
    assert axis_label("value", None) == "value"
    assert unit_label(sc.units.dimensionless) == "no unit"
    assert unit_label(sc.Unit("K")) == "K"
