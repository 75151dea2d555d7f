import json
import logging

from app.audit import AUDIT_FILE, REFUSED, AuditLog

AT_NS = 1_790_000_000_123_000_000


def test_each_action_is_one_json_line_with_time_user_action_and_key(tmp_path) -> None:
    log = AuditLog(tmp_path / "state")
    log.prepare()
    log.record("alice", "clear history", "monitor/m1", at_ns=AT_NS)
    lines = (tmp_path / "state" / AUDIT_FILE).read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "time": "2026-09-21T14:13:20.123Z",
            "user": "alice",
            "action": "clear history",
            "key": "monitor/m1",
            "outcome": "done",
        }
    ]


def test_the_file_is_appended_to_never_rewritten(tmp_path) -> None:
    path = tmp_path / AUDIT_FILE
    path.write_text('{"earlier": "line"}\n')
    AuditLog(tmp_path).record("alice", "clear history", "k1")
    AuditLog(tmp_path).record("bob", "clear history", "k2", REFUSED)
    lines = path.read_text().splitlines()
    assert lines[0] == '{"earlier": "line"}'
    assert [json.loads(line)["user"] for line in lines[1:]] == ["alice", "bob"]


def test_each_action_is_one_log_line_refusals_a_warning(tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="app.audit")
    AuditLog(tmp_path).record("alice", "clear history", "monitor/m1", at_ns=AT_NS)
    AuditLog(tmp_path).record("bob", "clear history", "monitor/m1", REFUSED, AT_NS)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (
            logging.INFO,
            "audit: 2026-09-21T14:13:20.123Z alice: clear history 'monitor/m1'",
        ),
        (
            logging.WARNING,
            "audit: 2026-09-21T14:13:20.123Z bob: clear history 'monitor/m1' REFUSED",
        ),
    ]


def test_the_latest_entries_come_newest_first_from_every_writer(tmp_path) -> None:
    reader = AuditLog(tmp_path)
    assert reader.latest(5) == ()
    for index in range(7):
        # Another process writes through its own AuditLog.
        AuditLog(tmp_path).record("alice", "clear history", f"k{index}")
    assert [entry.key for entry in reader.latest(3)] == ["k6", "k5", "k4"]
    AuditLog(tmp_path).record("bob", "clear history", "k7")
    assert reader.latest(1)[0].user == "bob"


def test_a_line_that_is_no_entry_is_skipped(tmp_path) -> None:
    AuditLog(tmp_path).record("alice", "clear history", "k1")
    with (tmp_path / AUDIT_FILE).open("a") as file:
        file.write("a note someone added\n")
    assert [entry.key for entry in AuditLog(tmp_path).latest(5)] == ["k1"]


def test_without_a_state_dir_actions_are_logged_only(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    log = AuditLog(None)
    log.prepare()
    log.record("alice", "clear history", "k1")
    assert log.latest(5) == ()
    assert list(tmp_path.iterdir()) == []


def test_a_missing_state_dir_is_made_with_the_first_entry(tmp_path) -> None:
    AuditLog(tmp_path / "new" / "state").record("alice", "clear history", "k1")
    assert (tmp_path / "new" / "state" / AUDIT_FILE).exists()


def test_the_last_time_each_key_was_cleared_counts_done_actions_only(
    tmp_path,
) -> None:
    audit = AuditLog(tmp_path)
    audit.record("alice", "clear history", "a", at_ns=1_000_000_000)
    audit.record("alice", "clear history", "a", at_ns=3_000_000_000)
    audit.record("bob", "clear history", "b", REFUSED, at_ns=4_000_000_000)
    audit.record("alice", "clear history", "c", at_ns=500_000_000)
    audit.record("alice", "pin reference", "d", at_ns=4_000_000_000)

    assert audit.last_done("clear history", since_ns=1_000_000_000) == {
        "a": 3_000_000_000
    }
    assert AuditLog(tmp_path / "none").last_done("clear history") == {}
