"""What the fake BigQuery clients share: a query job and its rows, as google-cloud-bigquery shapes them."""

from __future__ import annotations


class FakeRow(dict):
    def items(self):  # google.cloud.bigquery.Row.items()
        return list(super().items())


class FakeJob:
    def __init__(self, rows):
        self._rows = rows

    def result(self):
        return iter(self._rows)
