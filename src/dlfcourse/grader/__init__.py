"""The trusted decisions: calls into the student's worker, inputs and seeds, verdicts, and the hidden checks."""
