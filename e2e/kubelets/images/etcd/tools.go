//go:build tools

// Package etcd pins the etcd that kubeadm v1.37.2 deploys (its DefaultEtcdVersion 3.7.0-0), for
// the registry.k8s.io/etcd image of the real-kubelet cluster test. e2e/tools/etcd keeps the etcd
// the kwok control plane and the backups tests run.
package etcd

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/etcdutl/v3"
	_ "go.etcd.io/etcd/server/v3"
)
