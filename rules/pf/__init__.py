"""PF: diagnostics about the run itself, reported by the engine."""
