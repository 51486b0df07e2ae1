//go:build tools

// Package tools pins the Pulumi CLI govcloud builds for its local provincial
// cloud. Upstream's pkg module carries replace directives, so `go install`
// refuses it; this wrapper keeps upstream's non-path replace and builds it.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
