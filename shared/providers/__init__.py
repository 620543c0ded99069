"""Cluster providers: the interface the fleet-manager drives clusters and node pools through,
and the instance types their nodes come in."""
