package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Stamped at build time, for release builds:
//
//	go build -ldflags "-X main.version=v1.2.3 -X main.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)" ./cmd/junction
//
// Without them the module version and the commit come from the build
// information Go records in every binary built from a checkout.
var (
	version   = ""
	buildDate = ""
)

// buildInfo is what "junction version" prints.
type buildInfo struct {
	Version    string
	Commit     string
	CommitTime string
	Modified   bool
	BuildDate  string
	Go         string
}

// readBuildInfo combines the stamped values with debug.ReadBuildInfo.
func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, BuildDate: buildDate, Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.time":
				b.CommitTime = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	return b
}

// String is one line: version, commit, dates, toolchain and platform.
func (b buildInfo) String() string {
	parts := []string{}
	if b.Commit != "" {
		c := "commit " + b.Commit
		if b.Modified {
			c += " (modified)"
		}
		parts = append(parts, c)
	}
	if b.CommitTime != "" {
		parts = append(parts, "committed "+b.CommitTime)
	}
	if b.BuildDate != "" {
		parts = append(parts, "built "+b.BuildDate)
	}
	parts = append(parts, b.Go+" "+runtime.GOOS+"/"+runtime.GOARCH)
	return fmt.Sprintf("junction %s (%s)", b.Version, strings.Join(parts, ", "))
}
