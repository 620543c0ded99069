"""Karmada's overrides as pure functions: which policies apply to a cluster, in what order,
and the manifest each member runs. The override-engine renders live, `navarch plan` offline."""
