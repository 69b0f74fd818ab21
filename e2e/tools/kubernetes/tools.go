//go:build tools

// Package kubernetes pins the Kubernetes control-plane commands that the e2e suite runs
// (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl) and kube-proxy, which the
// real-kubelet cluster test adds. k8s.io/kubernetes cannot be
// `go install`ed because its go.mod replaces the staging modules with local paths, so go.mod
// repeats those replaces with the matching published v0.x versions.
package kubernetes

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
