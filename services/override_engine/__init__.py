"""The override-engine: renders each bound template per member cluster with its
(Cluster)OverridePolicies, applies it to the member, repairs drift and reports status."""
