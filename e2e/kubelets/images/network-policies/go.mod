module homecare.local/e2e/kubelets/images/network-policies

go 1.26.0

require sigs.k8s.io/kube-network-policies v0.8.0
