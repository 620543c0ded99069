"""Karmada's placement as pure functions: policy matching, cluster filters, spread selection,
replica division. The scheduler service runs it on live objects, `navarch plan` offline."""
