package server

import "runtime/debug"

// version is set at link time: -ldflags "-X github.com/natsgw/natsgw/internal/server.version=v1.2.3".
var version = ""

// Version is the gateway's version: the link-time version, else the module
// version from the build info, else "devel".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
