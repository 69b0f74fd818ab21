//go:build tools

// Package metricsserver pins metrics-server v0.8.0. Only its version: build-images.sh builds
// cmd/metrics-server in a work copy of the module, with upstream's own go.mod and go.sum.
package metricsserver
