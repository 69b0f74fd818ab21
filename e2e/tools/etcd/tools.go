//go:build tools

// Package etcd pins etcd, etcdctl and etcdutl. Their go.mod files replace the sibling etcd
// modules with local paths, so `go install` refuses them; requiring all three at one version
// resolves the siblings from the module proxy instead.
package etcd

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/etcdutl/v3"
	_ "go.etcd.io/etcd/server/v3"
)
