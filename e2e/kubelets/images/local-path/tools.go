//go:build tools

// Package localpath pins local-path-provisioner v0.0.30 (the default StorageClass of the cluster
// stack). Only its version: build-images.sh builds the module root (package main) in a work copy
// of the module, with upstream's own go.mod and go.sum.
package localpath
