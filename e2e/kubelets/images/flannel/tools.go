//go:build tools

// Package flannel pins flanneld v0.28.10 (the pod network of the control_plane role's CNI
// manifest).
//
// flanneld is the module's root package main; its tencentvpc backend imports a Tencent Cloud SDK
// module the module proxy does not serve, so build-images.sh copies flannel's main.go into a
// work copy of this module without that one import (the cluster uses the vxlan backend) and
// builds it there. `go mod tidy` here needs that main.go copy present. The CNI plugin: ../flannel-cni.
package flannel

import (
	_ "github.com/flannel-io/flannel/pkg/backend/vxlan"
)
