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
			// A group that is also a command of its own (notifications
			// preferences shows them; set changes them) runs rather than
			// printing help.
			if len(path) > 0 && !cmd.Runnable() {
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

// TestHelpExamplesParse: every example in the commands' help parses as the
// command it shows, with flags that exist and arguments it accepts, so the
// help never teaches a command line that fails before it starts.
func TestHelpExamplesParse(t *testing.T) {
	var walk func(cmd *cobra.Command)
	examples := 0
	walk = func(cmd *cobra.Command) {
		for _, ex := range exampleLines(cmd.Example) {
			examples++
			words := shellWords(t, ex)
			if len(words) == 0 || words[0] != "junction" {
				t.Errorf("%s: example %q does not start with junction", cmd.CommandPath(), ex)
				continue
			}
			root := newRootCommand(cli.Env{Stdout: io.Discard, Stderr: io.Discard})
			target, rest, err := root.Find(words[1:])
			if err != nil || target == root {
				t.Errorf("example %q: no such command (%v)", ex, err)
				continue
			}
			if err := target.ParseFlags(rest); err != nil {
				t.Errorf("example %q: %v", ex, err)
				continue
			}
			if err := target.ValidateArgs(target.Flags().Args()); err != nil {
				t.Errorf("example %q: %v", ex, err)
			}
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(newRootCommand(cli.Env{Stdout: io.Discard, Stderr: io.Discard}))
	if examples < 5 {
		t.Fatalf("found only %d examples", examples)
	}
}

// exampleLines joins an Example's continued lines and drops what follows a
// pipe.
func exampleLines(example string) []string {
	var out []string
	cur := ""
	for _, line := range strings.Split(example, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		cur += line
		if i := strings.Index(cur, " | "); i >= 0 {
			cur = cur[:i]
		}
		out = append(out, cur)
		cur = ""
	}
	return out
}

// shellWords splits a command line as a POSIX shell would for the quoting
// the examples use: single and double quotes, no expansions.
func shellWords(t *testing.T, s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		t.Errorf("unbalanced quote in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
