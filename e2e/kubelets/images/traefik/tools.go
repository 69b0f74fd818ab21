//go:build tools

// Package traefik pins Traefik v3.7.13 (the Gateway API implementation of the cluster stack).
// build-images.sh builds cmd/traefik in a work copy of the module (its go.mod has replace
// directives), with upstream's go.mod and go.sum and four changes for what the module proxy or
// the module zip lack:
//   - the web UI: webui/static holds only a placeholder in the zip (upstream builds it with yarn),
//     so the dashboard is empty; the cluster stack does not enable it;
//   - github.com/traefik/traefik/dynamic/ext, a nested module of two empty extension structs that
//     the zip leaves out and the proxy does not serve, is written beside it;
//   - the replace target of github.com/abbot/go-http-auth, the containous fork (basicAuth and
//     digestAuth middlewares), is not served: upstream's module at the version required here;
//     the digestAuth middleware's one call of the fork's addition, RequireAuthStale, becomes
//     RequireAuth (a stale nonce gets a fresh challenge without stale=true);
//   - lego's providers/dns imports DNS SDKs the proxy does not serve (alidns, huaweicloud,
//     oraclecloud, ...): pkg/provider/acme gets no DNS-01 providers (Traefik's own ACME client is
//     not used here: certificates come from cert-manager).
package traefik
