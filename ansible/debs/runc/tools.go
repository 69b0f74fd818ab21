//go:build tools

// Package runc pins the commands build-debs.sh packages as .deb files.
package runc

import (
	_ "github.com/opencontainers/runc"
)
