from contextlib import nullcontext

from app.data import DataService, DataSink
from app.ingestion.key_activity import KeyActivity


def test_the_service_and_the_key_activity_in_front_of_it_are_data_sinks():
    service = DataService()
    assert isinstance(service, DataSink)
    assert isinstance(KeyActivity(service), DataSink)


def test_a_sink_is_anything_with_a_transaction_and_item_assignment():
    class Plain:
        def transaction(self):
            return nullcontext()

        def __setitem__(self, key, value):
            pass

    assert isinstance(Plain(), DataSink)
    assert not isinstance({}, DataSink)


def test_the_orchestrator_and_the_key_activity_read_the_one_data_sink():
    import app.ingestion.key_activity as key_activity
    import app.ingestion.orchestrator as orchestrator

    assert key_activity.DataSink is DataSink
    assert orchestrator.DataSink is DataSink
