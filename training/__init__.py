"""Training, evaluation and tracking for stance (needs the `train` extra)."""
