"""Kubernetes-shaped objects over a revisioned key-value backend (JetStream KV or memory)."""
