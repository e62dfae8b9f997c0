package connector

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"

	"junction"
)

//go:embed catalog/*.yaml
var builtinFS embed.FS

// Builtin returns the definitions shipped with Junction, as a file system
// whose root holds one YAML file per connector. It is the same value on
// every call, which LoadCatalog recognises.
func Builtin() fs.FS { return builtinSub }

var builtinSub = func() fs.FS {
	sub, err := fs.Sub(builtinFS, "catalog")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}()

// The built-in files are compiled in, so parsing them gives the same
// definitions every time: they are parsed once per process (a server, or a
// test binary starting many servers) and shared, as definitions always are.
var (
	builtinOnce sync.Once
	builtinDefs []*Definition
	builtinErr  error
)

func loadBuiltin() ([]*Definition, error) {
	builtinOnce.Do(func() {
		builtinDefs, builtinErr = loadDefinitions(builtinSub, "builtin")
	})
	return builtinDefs, builtinErr
}

// Catalog is the set of connector definitions Junction knows. It is
// immutable once loaded and safe for concurrent use.
type Catalog struct {
	byKey map[string]*Definition
	list  []*Definition
}

// LoadCatalog reads every *.yaml and *.yml file at the root of builtin and,
// when extraDir is not empty, of that directory (operators' own
// definitions). Every file is checked; the returned error joins one
// *DefinitionError per bad file, naming the file and every problem in it. Two
// definitions with the same key are an error: an operator's definition does
// not silently replace a built-in one.
func LoadCatalog(builtin fs.FS, extraDir string) (*Catalog, error) {
	c := &Catalog{byKey: map[string]*Definition{}}
	var errs []error
	add := func(defs []*Definition, err error) {
		if err != nil {
			errs = append(errs, err)
		}
		for _, d := range defs {
			if prev, dup := c.byKey[d.Key]; dup {
				errs = append(errs, &DefinitionError{File: d.Source, Problems: []Problem{{Path: "key", Message: fmt.Sprintf("connector %q is already defined in %s", d.Key, prev.Source)}}})
				continue
			}
			c.byKey[d.Key] = d
			c.list = append(c.list, d)
		}
	}
	switch {
	case builtin == builtinSub:
		add(loadBuiltin())
	case builtin != nil:
		add(loadDefinitions(builtin, "builtin"))
	}
	if extraDir != "" {
		add(loadDefinitions(os.DirFS(extraDir), extraDir))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sortByKey(c.list)
	return c, nil
}

// loadDefinitions parses every definition file at the root of fsys, in
// name order, reporting every bad file.
func loadDefinitions(fsys fs.FS, label string) ([]*Definition, error) {
	names, err := definitionFiles(fsys)
	if err != nil {
		return nil, fmt.Errorf("read connector definitions in %s: %w", label, err)
	}
	var defs []*Definition
	var errs []error
	for _, name := range names {
		file := path.Join(label, name)
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("read connector definition %s: %w", file, err))
			continue
		}
		d, err := Parse(data)
		if err != nil {
			var de *DefinitionError
			if errors.As(err, &de) {
				de.File = file
			}
			errs = append(errs, err)
			continue
		}
		d.Source = file
		defs = append(defs, d)
	}
	return defs, errors.Join(errs...)
}

func definitionFiles(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") {
			continue
		}
		if strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml") {
			names = append(names, n)
		}
	}
	return names, nil
}

// List returns the definitions ordered by key. The slice is the caller's;
// the definitions are shared and must not be modified.
func (c *Catalog) List() []*Definition {
	return append([]*Definition(nil), c.list...)
}

// Get returns the definition with the given key, or a not_found error.
func (c *Catalog) Get(key string) (*Definition, error) {
	if d, ok := c.byKey[key]; ok {
		return d, nil
	}
	return nil, junction.NotFound("connector " + key)
}

func sortByKey(ds []*Definition) {
	sort.Slice(ds, func(i, j int) bool { return ds[i].Key < ds[j].Key })
}
