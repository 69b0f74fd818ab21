module homecare.local/e2e/kubelets/images/traefik

go 1.26.0

require (
	// Built in place of Traefik's replace target github.com/containous/go-http-auth (a fork the
	// module proxy does not serve): see tools.go.
	github.com/abbot/go-http-auth v0.4.1-0.20220112235402-e1cee1c72f2f
	github.com/traefik/traefik/v3 v3.7.13
)
