//go:build tools

// Package tools pins actionlint, which checks the pull-request workflows.
// The PyPI wrapper downloads a release binary at install time, which cannot
// work without internet access, so govcloud builds it from its Go module.
package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
