import pytest

from app.durations import coarse_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.5, "< 1 s"),
        (42.7, "42 s"),
        (600, "10 min"),
        (9000, "2.5 h"),
        (47 * 3600, "47.0 h"),
        (3 * 86400 + 5, "3 d"),
        (364 * 86400, "364 d"),
    ],
)
def test_durations_up_to_a_year_read_in_the_coarsest_fitting_unit(
    seconds: float, text: str
) -> None:
    assert coarse_duration(seconds) == text


def test_an_age_of_decades_reads_in_years_not_hours() -> None:
    # What a source whose clock says 1970 looked like: "499030.6 h".
    assert coarse_duration(499030.6 * 3600) == "56 y"
