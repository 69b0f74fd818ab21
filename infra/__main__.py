"""Pulumi entry point (Pulumi.yaml: main infra/): declares the selected stack."""

from homecare_infra.program import main

main()
