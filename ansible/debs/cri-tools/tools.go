//go:build tools

// Package critools pins the commands build-debs.sh packages as .deb files.
package critools

import (
	_ "sigs.k8s.io/cri-tools/cmd/crictl"
)
