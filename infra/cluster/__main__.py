"""Pulumi entry point of the cluster-services project (infra/cluster/Pulumi.yaml)."""

from homecare_infra.cluster.program import main

main()
