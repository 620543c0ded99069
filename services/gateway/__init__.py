"""The hub's API: Kubernetes-compatible REST over the store, with TLS, tokens and validation."""
