//go:build tools

// Package tools pins the VictoriaMetrics single-node server govcloud builds
// for its local provincial cloud: the Prometheus-compatible time-series store
// that records per-tenant quota use (scraped from the reconciler) and answers
// the PromQL queries of `govcloud rightsize` and `govcloud report --live`.
package tools

import _ "github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics"
