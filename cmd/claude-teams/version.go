package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at link time: -ldflags "-X main.version=v1.2.3".
var version string

// versionString is "claude-teams <version> (<go version> <os>/<arch>)".
func versionString() string {
	return fmt.Sprintf("claude-teams %s (%s %s/%s)", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// buildVersion is the version from the linker, else the module version go
// install recorded, else "devel" with the VCS revision.
func buildVersion() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok && v == "" {
		v = info.Main.Version
		if v == "" || v == "(devel)" {
			v = "devel"
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					v += "+" + s.Value[:12]
				}
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	return v
}
