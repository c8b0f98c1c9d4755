"""The project's own error types: every refusal in model_core raises one of these."""


class GRCError(ValueError):
    """Bad input, a malformed model file, or a training that could not produce a model.

    The message always says what was wrong and, where possible, what to do about it.
    """


class TrainingCancelled(Exception):
    """Training was cancelled through its threading.Event; no model was produced."""
