"""What every test shares: a state directory outside the work tree."""

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The dashboard's ``--state-dir`` for pages built in the test process.

    Its default lies under the working directory: a test that builds the
    dashboard's script and then clears a history would write an audit file
    into the work tree, which `make test` leaves as it found it.
    """
    before = os.environ.get("DASHBOARD_STATE_DIR")
    os.environ["DASHBOARD_STATE_DIR"] = str(tmp_path_factory.mktemp("state"))
    yield
    if before is None:
        del os.environ["DASHBOARD_STATE_DIR"]
    else:
        os.environ["DASHBOARD_STATE_DIR"] = before
