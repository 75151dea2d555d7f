from app.plotters.confirm import ConfirmedClick


def test_a_second_click_within_the_window_confirms() -> None:
    confirm = ConfirmedClick(within_s=4.0)
    assert not confirm.click(100.0)
    assert confirm.armed(103.0)
    assert confirm.click(103.0)
    # Confirmed: the next click starts over.
    assert not confirm.click(103.5)


def test_a_second_click_after_the_window_only_offers_again() -> None:
    confirm = ConfirmedClick(within_s=4.0)
    assert not confirm.click(100.0)
    assert not confirm.armed(104.5)
    assert not confirm.click(104.5)
    assert confirm.click(105.0)
