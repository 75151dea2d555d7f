import math

import pytest

from app.limits import MAX_WINDOW_SIZE
from app.options import DashboardOptions, parse_options, replay_start


def test_defaults_serve_the_simulated_instrument() -> None:
    assert parse_options([], {}) == DashboardOptions()
    assert DashboardOptions().source == "simulated"
    assert DashboardOptions().renderer == "canvas"


def test_arguments_win_over_environment_which_wins_over_defaults() -> None:
    environ = {
        "DASHBOARD_SOURCE": "kafka",
        "DASHBOARD_TOPICS": "a, b",
        "DASHBOARD_WINDOW_SIZE": "7",
        "DASHBOARD_FRAME_PERIOD": "0.5",
    }
    options = parse_options(["--frame-period", "0.1", "--keys", "log/x"], environ)
    assert options.source == "kafka"
    assert options.topics == ("a", "b")
    assert options.window_size == 7
    assert options.frame_period_s == 0.1
    assert options.keys == ("log/x",)


def test_expected_other_schemas_default_to_events_and_older_logs() -> None:
    assert {"ev44", "f142"} <= set(DashboardOptions().ignore_schemas)
    assert parse_options(["--ignore-schemas", "ev44,x5f2"]).ignore_schemas == (
        "ev44",
        "x5f2",
    )
    # Empty: every schema the dashboard does not read counts as lost.
    assert parse_options([], {"DASHBOARD_IGNORE_SCHEMAS": ""}).ignore_schemas == ()


@pytest.mark.parametrize(
    ("argv", "environ"),
    [
        (["--source", "file"], {}),
        ([], {"DASHBOARD_SOURCE": "file"}),
        (["--frame-period", "0"], {}),
        (["--window-size", "-3"], {}),
        (["--window-size", "20000"], {}),
        ([], {"DASHBOARD_WINDOW_SIZE": "20000"}),
        (["--renderer", "svg"], {}),
        (["--log-units", "log/t"], {}),
        (["--losses-remembered", "5"], {}),
    ],
)
def test_invalid_options_are_refused(argv: list[str], environ: dict) -> None:
    with pytest.raises(SystemExit):
        parse_options(argv, environ)


def test_the_fast_frame_period_is_never_slower_than_the_frame_period() -> None:
    options = parse_options(["--frame-period", "0.5", "--fast-frame-period", "2"])
    assert (options.frame_period_s, options.fast_frame_period_s) == (0.5, 0.5)
    options = parse_options([], {"DASHBOARD_FAST_FRAME_PERIOD": "0.05"})
    assert (options.frame_period_s, options.fast_frame_period_s) == (0.2, 0.05)


def test_window_size_beyond_the_plots_bound_is_refused_at_start_up(capsys) -> None:
    with pytest.raises(SystemExit):
        parse_options(["--window-size", str(MAX_WINDOW_SIZE + 1)])
    assert f"between 1 and {MAX_WINDOW_SIZE} frames" in capsys.readouterr().err
    with pytest.raises(ValueError, match="window size"):
        DashboardOptions(window_size=MAX_WINDOW_SIZE + 1)
    assert parse_options(["--window-size", str(MAX_WINDOW_SIZE)]).window_size == (
        MAX_WINDOW_SIZE
    )


def test_the_window_widget_and_plot_share_the_options_bound() -> None:
    from app.plotters import SlidingWindowPlotter

    assert SlidingWindowPlotter.param.window_size.bounds == (1, MAX_WINDOW_SIZE)


def test_log_units_are_key_unit_pairs() -> None:
    options = parse_options(["--log-units", "log/t=K, log/x=mm"])
    assert dict(options.log_units) == {"log/t": "K", "log/x": "mm"}


def test_lookback_defaults_to_an_hour_and_comes_from_argument_or_environment() -> None:
    assert parse_options([], {}).lookback_s == 3600.0
    assert parse_options([], {"DASHBOARD_LOOKBACK": "0"}).lookback_s == 0.0
    options = parse_options(["--lookback", "600"], {"DASHBOARD_LOOKBACK": "0"})
    assert options.lookback_s == 600.0


@pytest.mark.parametrize(
    ("argv", "environ"),
    [(["--lookback", "-1"], {}), ([], {"DASHBOARD_LOOKBACK": "soon"})],
)
def test_invalid_lookback_is_refused(argv: list[str], environ: dict) -> None:
    with pytest.raises((SystemExit, ValueError)):
        parse_options(argv, environ)


def test_views_names_modules_of_custom_views_by_argument_or_environment() -> None:
    assert parse_options(["--views", "a.views, b.views"]).views == (
        "a.views",
        "b.views",
    )
    assert parse_options([], {"DASHBOARD_VIEWS": "c.views"}).views == ("c.views",)


def test_kafka_settings_come_from_a_file_and_repeated_pairs_or_the_environment() -> (
    None
):
    options = parse_options(
        [
            "--kafka-config",
            "/etc/livedata/client.properties",
            "--kafka-option",
            "security.protocol=SASL_SSL",
            "--kafka-option",
            "sasl.password=${KAFKA_PASSWORD}",
        ],
        {"DASHBOARD_KAFKA_OPTIONS": "group.id=ignored"},
    )
    assert options.kafka_config_file == "/etc/livedata/client.properties"
    # The arguments replace the variable's pairs, as any argument wins.
    assert options.kafka_options == (
        ("security.protocol", "SASL_SSL"),
        ("sasl.password", "${KAFKA_PASSWORD}"),
    )
    from_environment = parse_options(
        [],
        {
            "DASHBOARD_KAFKA_CONFIG": "client.properties",
            "DASHBOARD_KAFKA_OPTIONS": "sasl.username=dashboard, group.id=dream",
        },
    )
    assert from_environment.kafka_config_file == "client.properties"
    assert from_environment.kafka_options == (
        ("sasl.username", "dashboard"),
        ("group.id", "dream"),
    )


def test_kafka_settings_written_out_are_not_in_the_options_repr() -> None:
    options = parse_options(["--kafka-option", "sasl.password=hunter2"])
    assert "hunter2" not in repr(options)


@pytest.mark.parametrize(
    ("argv", "environ"),
    [
        (["--kafka-option", "hunter2"], {}),
        ([], {"DASHBOARD_KAFKA_OPTIONS": "hunter2"}),
    ],
)
def test_a_kafka_option_without_a_key_is_refused_without_echoing_it(
    argv: list[str], environ: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parse_options(argv, environ)
    error = capsys.readouterr().err
    assert "KEY=VALUE" in error
    assert "hunter2" not in error


def test_sign_in_options_name_operators_state_dir_and_an_explicit_no_sign_in() -> None:
    defaults = parse_options([], {})
    assert (defaults.operators, defaults.no_sign_in) == ((), False)
    assert defaults.state_dir == ".dashboard-state"
    options = parse_options(
        ["--operators", "alice, group:staff", "--state-dir", "/var/lib/dash"],
        {"DASHBOARD_OPERATORS_FILE": "/etc/ops", "DASHBOARD_NO_SIGN_IN": "1"},
    )
    assert options.operators == ("alice", "group:staff")
    assert options.operators_file == "/etc/ops"
    assert options.state_dir == "/var/lib/dash"
    assert options.no_sign_in is True
    assert parse_options(["--no-sign-in"]).no_sign_in is True
    with pytest.raises(SystemExit):
        parse_options([], {"DASHBOARD_NO_SIGN_IN": "maybe"})


def test_a_replay_source_names_its_recording_speed_loop_and_start() -> None:
    options = parse_options(
        [
            "--source",
            "replay",
            "/data/shift",
            "--speed",
            "max",
            "--loop",
            "--replay-start",
            "2026-03-01T08:00:00+00:00",
        ]
    )
    assert (options.source, options.replay_path) == ("replay", "/data/shift")
    assert math.isinf(options.replay_speed)
    assert options.replay_loop
    assert replay_start(options.replay_start) == (0.0, 1_772_352_000 * 10**9)
    assert replay_start("90") == (90.0, None)
    from_environment = parse_options(
        [],
        {
            "DASHBOARD_SOURCE": "replay",
            "DASHBOARD_REPLAY": "/r",
            "DASHBOARD_SPEED": "10",
        },
    )
    assert (from_environment.replay_path, from_environment.replay_speed) == ("/r", 10.0)


def test_recording_options_default_to_off_and_bounded_files() -> None:
    defaults = parse_options([])
    assert defaults.record_dir == ""
    assert (defaults.record_file_mib, defaults.record_file_s) == (256.0, 3600.0)
    assert defaults.record_total_gib == 20.0
    options = parse_options(
        ["--record", "/rec", "--record-file-size", "16", "--record-total-size", "1"]
    )
    assert (options.record_dir, options.record_file_mib) == ("/rec", 16.0)
    assert options.record_total_gib == 1.0


@pytest.mark.parametrize(
    "argv",
    [
        ["--source", "replay"],
        ["--source", "kafka", "/data"],
        ["--source", "replay", "a", "b"],
        ["--source", "replay", "/r", "--speed", "0"],
        ["--source", "replay", "/r", "--replay-start", "yesterday"],
        ["--record-file-size", "0"],
    ],
)
def test_invalid_replay_and_recording_options_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_options(argv)
