//go:build tools

// Package kubernetes pins the Kubernetes commands that the Molecule test packages as .deb files
// for the offline mode of the kubernetes_packages role.
package kubernetes

import (
	_ "k8s.io/kubernetes/cmd/kubeadm"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
