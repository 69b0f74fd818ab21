//go:build tools

// Package pulumi pins the Pulumi CLI (engine) built for the Layer 2 e2e test. pkg/v3's go.mod has
// replace directives, so `go install` refuses it; this module requires it with its replaces.
package pulumi

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
