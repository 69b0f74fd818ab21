"""The cluster's monitoring and logging stack (one per cluster, declared with the cluster services)."""
