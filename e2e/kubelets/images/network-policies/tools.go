//go:build tools

// Package networkpolicies pins kube-network-policies v0.8.0 (NetworkPolicy enforcement beside
// flannel). Only its version: build-images.sh builds ./cmd in a work copy of the module, with
// upstream's own go.mod and go.sum (its Dockerfile builds the same package as /bin/netpol).
package networkpolicies
