//go:build tools

// Package tools records the Consul agent as a dependency of this scratch
// module so `go mod tidy` keeps it.
package tools

import _ "github.com/hashicorp/consul"
