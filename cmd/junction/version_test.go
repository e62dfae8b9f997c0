package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"junction/cli"
)

func runCapture(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, cli.Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Getenv: func(string) string { return "" },
	})
	return code, out.String(), errOut.String()
}

// TestUnknownSubcommandsFail walks the whole command tree: every command
// that groups others must exit non-zero on a name that is none of them, so
// a typo in a script never passes for success.
func TestUnknownSubcommandsFail(t *testing.T) {
	var walk func(cmd *cobra.Command)
	groups := 0
	walk = func(cmd *cobra.Command) {
		if cmd.HasSubCommands() {
			groups++
			path := strings.Fields(cmd.CommandPath())[1:]
			code, _, stderr := runCapture(append(path, "no-such-command")...)
			if code == 0 || !strings.Contains(stderr, `unknown command "no-such-command"`) {
				t.Errorf("junction %s no-such-command: exit %d, stderr %q", strings.Join(path, " "), code, stderr)
			}
			if len(path) > 0 {
				if code, stdout, _ := runCapture(path...); code != 0 || !strings.Contains(stdout, "Available Commands") {
					t.Errorf("junction %s: exit %d, want its help", strings.Join(path, " "), code)
				}
			}
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(newRootCommand(cli.Env{Stdout: io.Discard, Stderr: io.Discard}))
	if groups < 10 {
		t.Fatalf("walked only %d command groups", groups)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, stdout, _ := runCapture(args...)
		if code != 0 || !strings.HasPrefix(stdout, "junction ") || !strings.Contains(stdout, "go1.") {
			t.Errorf("junction %s: exit %d, %q", args[0], code, stdout)
		}
	}
	b := buildInfo{Version: "v1.2.3", Commit: "0123456789abcdef", CommitTime: "2026-01-02T03:04:05Z", Modified: true,
		BuildDate: "2026-01-03T00:00:00Z", Go: "go1.26.8"}
	got := b.String()
	for _, want := range []string{"junction v1.2.3 (", "commit 0123456789abcdef (modified)", "committed 2026-01-02T03:04:05Z", "built 2026-01-03T00:00:00Z", "go1.26.8"} {
		if !strings.Contains(got, want) {
			t.Errorf("version line %q lacks %q", got, want)
		}
	}
}

// TestRootHelpListsClientFlags: the flags every client command takes are
// in "junction --help", not only in each command's own.
func TestRootHelpListsClientFlags(t *testing.T) {
	code, stdout, _ := runCapture("--help")
	for _, flag := range []string{"--server", "--token", "--output", "--field", "JUNCTION_FORMAT"} {
		if code != 0 || !strings.Contains(stdout, flag) {
			t.Errorf("junction --help (exit %d) lacks %s", code, flag)
		}
	}
}
