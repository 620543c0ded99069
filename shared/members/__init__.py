"""Clients of member clusters: kubeconfig → kubernetes-asyncio client, probes, list/watch."""
