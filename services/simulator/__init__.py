"""The member-cluster simulator: Kubernetes behaviour (nodes, scheduler, kubelet, workload
controllers, eviction, metrics) as controllers over one in-memory ObjectStore per cluster.

The REST layer (`shared/kubeapi`) serves each `SimulatedCluster.store`; everything here is
level-triggered and restartable, so a cluster stopped and started again keeps its state.
"""
