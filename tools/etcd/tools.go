//go:build tools

// Package tools pins the etcd server govcloud builds for its local
// provincial cloud. The etcd server module carries replace directives, so
// `go install` refuses it; this wrapper builds it instead.
package tools

import _ "go.etcd.io/etcd/server/v3"
