//go:build tools

// Package flannelcni pins the flannel CNI plugin that the control_plane role's CNI manifest copies
// onto each node. github.com/flannel-io/cni-plugin is not served by the module proxy here; the
// same plugin's predecessor, plugins/meta/flannel of containernetworking/plugins v0.9.1 (the last
// release that carried it, before it moved to flannel-io/cni-plugin), is built instead. It has
// its own module: flanneld requires a newer containernetworking/plugins without it.
package flannelcni

import (
	_ "github.com/containernetworking/plugins/plugins/meta/flannel"
)
