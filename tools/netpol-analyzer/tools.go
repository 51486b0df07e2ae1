//go:build tools

// Package tools pins netpol-analyzer, which `govcloud audit` runs to cross-check the
// connectivity it computes from the live NetworkPolicies. Its dependency
// github.com/np-guard/models v0.5.7 has no checksum-database entry: the hash in go.sum
// is the one netpol-analyzer's own go.sum records, and the build sets
// GONOSUMDB=github.com/np-guard/models (that module only).
package tools

import _ "github.com/np-guard/netpol-analyzer/cmd/netpolicy"
