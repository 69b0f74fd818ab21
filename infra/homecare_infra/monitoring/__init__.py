"""The cluster monitoring and logging stack (one per cluster, beside the cluster services)."""
