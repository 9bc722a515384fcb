"""The exception every failed check raises, and the diagnosis codes it carries."""

from __future__ import annotations

__all__ = ["GradingFailure", "DIAGNOSES"]

#: code -> what it means; the report groups mistakes by these codes.
DIAGNOSES: dict[str, str] = {
    "wrong-shape": "the result has the wrong shape",
    "transposed": "the result is the transpose of the expected one",
    "forgot-mean": "off by a factor N: the mean over the batch is missing",
    "extra-mean": "off by a factor 1/N: divided by the batch size once too often",
    "factor": "off by a constant factor",
    "sign-flipped": "the sign is flipped",
    "not-finite": "NaN or inf on large inputs: the computation is not numerically stable",
    "missing-bias-grad": "the gradient of the bias is missing (zero)",
    "mutates-input": "the function modifies an input array in place",
    "uses-reference": "the answer calls the course's reference implementation",
    "numpy-tampered": "numpy or a builtin was replaced by the notebook",
    "raised-error": "the function raised an exception",
    "not-implemented": "the function is not implemented yet",
    "wrong-type": "the function returns the wrong kind of value",
    "wrong-value": "the values differ from the expected ones",
    "did-not-learn": "training did not reach the required accuracy or loss",
}


class GradingFailure(AssertionError):
    """A failed check, with a diagnosis code and a message written for the student.

    IPython calls ``_render_traceback_`` to display an exception: returning a
    single line keeps the hidden test's source (and its inputs) out of the
    notebook's output and out of the feedback.
    """

    def __init__(self, code: str, message: str) -> None:
        if code not in DIAGNOSES:
            raise ValueError(f"unknown diagnosis code {code!r}; known: {sorted(DIAGNOSES)}")
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message

    def _render_traceback_(self) -> list[str]:
        return [f"GradingFailure: [{self.code}] {self.message}"]
