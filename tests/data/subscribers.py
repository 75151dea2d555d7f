"""A subscriber the data-layer tests register: one key, one extractor."""


class Recorder:
    """Subscribes to `key` through `extractor` and keeps every store it gets."""

    def __init__(self, key, extractor):
        self.keys = {key}
        self.extractors = {key: extractor}
        self.stores = []

    def trigger(self, store):
        self.stores.append(store)
