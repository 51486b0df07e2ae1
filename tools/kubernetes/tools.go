//go:build tools

// Package tools pins the Kubernetes control-plane commands govcloud builds
// for its local provincial cloud. Upstream's go.mod points every staging
// module at a local path, so this wrapper re-points them at their published
// versions (see go.mod).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
