//go:build tools

// Package registry pins the commands build-debs.sh packages as .deb files.
package registry

import (
	_ "github.com/distribution/distribution/v3/cmd/registry"
)
