//go:build tools

// Package traefik pins Traefik v3.7.13 (the Gateway API implementation of the cluster stack).
// Only its version: build-images.sh builds cmd/traefik in a work copy of the module (its go.mod
// has replace directives). Two gaps of the module zip are filled there: the web UI (webui/static
// holds only a placeholder, upstream builds it with yarn: the dashboard is empty, the cluster
// stack does not enable it) and github.com/traefik/traefik/dynamic/ext, a nested module of empty
// extension structs that the zip leaves out and the proxy does not serve.
package traefik
