package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"junction"
)

// maxInputBytes bounds a value read from a file or standard input: values are
// settings, credentials and activity inputs, not documents.
const maxInputBytes = 1 << 20

// Secret values should not have to sit on the command line, where shell
// history and the process list keep them. Every flag that takes one therefore
// also reads it from a file ("@path") or from standard input ("-"). Values
// read this way lose one trailing line ending, which editors and echo add.

// splitKeyValue splits a "key=value" flag argument. A malformed argument is
// not quoted in the error: it may be a secret typed in the wrong place.
func splitKeyValue(flag, arg string) (key, value string, err error) {
	key, value, ok := strings.Cut(arg, "=")
	key = strings.TrimSpace(key)
	if !ok {
		return "", "", junction.Invalid(flag, "want key=value, got an argument without =")
	}
	if key == "" {
		return "", "", junction.Invalid(flag, "want key=value, got no key before =")
	}
	return key, value, nil
}

// readValue reads a value given as "-" (standard input), "@path" (a file)
// or, otherwise, literally.
func (c *CLI) readValue(flag, what, spec string) (string, error) {
	switch {
	case spec == "-":
		return c.readStdin(flag, what)
	case strings.HasPrefix(spec, "@"):
		return c.readFile(flag, what, spec[1:])
	}
	return spec, nil
}

// readFile reads a value from the file at path, or from standard input when
// path is "-".
func (c *CLI) readFile(flag, what, path string) (string, error) {
	if path == "-" {
		return c.readStdin(flag, what)
	}
	if path == "" {
		return "", junction.Invalid(flag, "no file named for %s", what)
	}
	f, err := os.Open(path)
	if err != nil {
		// The error names the path, never the content.
		return "", junction.Invalid(flag, "read %s: %v", what, err)
	}
	defer f.Close()
	return readBounded(flag, what, f)
}

// readStdin reads all of standard input for one value. Standard input holds
// one value only, so a second flag asking for it is an error rather than an
// empty value.
func (c *CLI) readStdin(flag, what string) (string, error) {
	if c.stdinTakenBy != "" {
		return "", junction.Invalid(flag, "standard input is already read for %s; give %s from a file (@path)", c.stdinTakenBy, what)
	}
	c.stdinTakenBy = what
	if f, ok := c.env.Stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintf(c.env.Stderr, "Enter %s, then press Ctrl-D: ", what)
		}
	}
	return readBounded(flag, what, c.env.Stdin)
}

// askSecret reads a secret at the terminal without echo (twice when
// confirm is set, to catch a typo), or from standard input when that is
// not a terminal.
func (c *CLI) askSecret(flag, what string, confirm bool) (string, error) {
	f, ok := c.env.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return c.readStdin(flag, what)
	}
	read := func(prompt string) (string, error) {
		fmt.Fprintf(c.env.Stderr, "%s: ", prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.env.Stderr)
		if err != nil {
			return "", junction.Invalid(flag, "read %s: %v", what, err)
		}
		return string(b), nil
	}
	v, err := read("Enter " + what)
	if err != nil || !confirm {
		return v, err
	}
	again, err := read("Enter " + what + " again")
	if err != nil {
		return "", err
	}
	if again != v {
		return "", junction.Invalid(flag, "the two entries of %s differ", what)
	}
	return v, nil
}

func readBounded(flag, what string, r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxInputBytes+1))
	if err != nil {
		return "", junction.Invalid(flag, "read %s: %v", what, err)
	}
	if len(b) > maxInputBytes {
		return "", junction.Errorf(junction.ETOOLARGE, "%s is larger than %d bytes", what, maxInputBytes)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return string(b), nil
}

// readJSON reads a JSON document given literally, as "@path" or as "-", and
// checks that it parses, so a typo is reported here rather than by the
// server.
func (c *CLI) readJSON(flag, what, spec string) (json.RawMessage, error) {
	s, err := c.readValue(flag, what, spec)
	if err != nil {
		return nil, err
	}
	if !json.Valid([]byte(s)) {
		return nil, junction.Invalid(flag, "%s is not valid JSON", what)
	}
	return json.RawMessage(s), nil
}

// keyValues collects repeated key=value flags into m, reading each value
// with read. A key given twice, across all the flags that fill m, is an
// error: which value wins would be a guess.
func keyValues(m map[string]any, flag string, args []string, read func(key, value string) (any, error)) error {
	for _, arg := range args {
		k, v, err := splitKeyValue(flag, arg)
		if err != nil {
			return err
		}
		if _, dup := m[k]; dup {
			return junction.Invalid(flag, "%s is given twice", k)
		}
		val, err := read(k, v)
		if err != nil {
			return err
		}
		m[k] = val
	}
	return nil
}
