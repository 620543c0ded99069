"""The `navarch` command line: runtime control now, kubectl-like verbs on top."""
