"""The scheduler: decides where each resource runs (Karmada placement semantics).

The pure placement core lives in `matching`, `filtering`, `spreading`, `estimating`,
`dividing` and `placing`; nothing in it does I/O.
"""
