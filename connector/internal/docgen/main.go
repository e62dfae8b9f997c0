// Command docgen writes docs/connectors/<key>.md for every built-in
// connector from its definition (go generate ./connector). The connector
// tests fail when a committed page differs from what it writes.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"junction/connector"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: docgen DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "docgen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	cat, err := connector.LoadCatalog(connector.Builtin(), "")
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, d := range cat.List() {
		name := d.Key + ".md"
		keep[name] = true
		if err := os.WriteFile(filepath.Join(dir, name), connector.Markdown(d), 0o644); err != nil {
			return err
		}
	}
	// A page whose connector is gone would mislead; remove it.
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".md") && !keep[e.Name()] && e.Name() != "README.md" {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
