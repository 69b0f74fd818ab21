//go:build tools

// Package kwok pins kwok, which simulates the cluster's nodes (and marks their pods Running)
// without a kubelet or container runtime.
package kwok

import _ "sigs.k8s.io/kwok/cmd/kwok"
