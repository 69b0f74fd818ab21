module homecare.local/e2e/kubelets/images/local-path

go 1.26.0

require github.com/rancher/local-path-provisioner v0.0.30
