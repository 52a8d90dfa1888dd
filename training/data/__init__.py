"""The project's data: record schema, corpus loading and building, validation, stand-off labels."""

from training.data.schema import DATA_DIR, SPLITS, RecordError, check_record

__all__ = ["DATA_DIR", "SPLITS", "RecordError", "check_record"]
