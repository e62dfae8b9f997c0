package importer_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"junction/connector"
	"junction/importer"
)

var update = flag.Bool("update", false, "rewrite the golden summaries under testdata/golden")

// specsDir is the corpus of real API descriptions kept beside the
// repository, not in it: they are tens of megabytes.
func specsDir() string { return filepath.Join("..", "..", "shared", "specs") }

type manifestEntry struct {
	file, format string
	operations   int
}

func readManifest(tb testing.TB) []manifestEntry {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(specsDir(), "MANIFEST.tsv"))
	if err != nil {
		tb.Skipf("no spec corpus at %s (%v); it lives in the shared folder beside the repository", specsDir(), err)
	}
	var out []manifestEntry
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		cols := strings.Split(line, "\t")
		if i == 0 || len(cols) < 5 {
			continue
		}
		n, err := strconv.Atoi(cols[4])
		if err != nil {
			tb.Fatalf("MANIFEST.tsv line %d: operations %q: %v", i+1, cols[4], err)
		}
		out = append(out, manifestEntry{file: cols[0], format: cols[2], operations: n})
	}
	return out
}

// summary is what a golden file pins down about one import.
type summary struct {
	Format     string         `json:"format"`
	Operations int            `json:"operations"`
	Activities int            `json:"activities"`
	Resources  int            `json:"resources"`
	Objects    []string       `json:"objects"`
	AuthTypes  []string       `json:"auth_types"`
	BaseURL    string         `json:"base_url"`
	Test       string         `json:"test"`
	Pagination map[string]int `json:"pagination"`
	Checklist  []string       `json:"checklist"`
}

func summarize(res *importer.Result) summary {
	s := summary{Format: res.SourceFormat, Operations: res.Operations, Activities: len(res.Definition.Activities),
		Resources: len(res.Resources), Objects: []string{}, AuthTypes: []string{}, BaseURL: res.Definition.BaseURL, Pagination: map[string]int{}, Checklist: []string{}}
	for _, o := range res.Definition.Objects {
		var ops []string
		for _, n := range connector.OperationNames {
			if o.Operations.ByName(n) != nil {
				ops = append(ops, n)
			}
		}
		s.Objects = append(s.Objects, o.Name+": "+strings.Join(ops, ","))
	}
	for _, a := range res.AuthTypes {
		s.AuthTypes = append(s.AuthTypes, string(a))
	}
	if t := res.Definition.Test; t != nil {
		s.Test = t.Method + " " + t.Path
	}
	for _, a := range res.Definition.Activities {
		if a.Pagination != nil {
			s.Pagination[string(a.Pagination.Type)]++
		}
	}
	for _, c := range res.Checklist {
		s.Checklist = append(s.Checklist, c.Item+": "+string(c.Status))
	}
	return s
}

// validateLikeLoader runs the definition through connector.Parse, the
// validation LoadCatalog applies to every file of --connectors-dir.
func validateLikeLoader(tb testing.TB, d *connector.Definition) {
	tb.Helper()
	data, err := yaml.Marshal(d)
	if err != nil {
		tb.Fatalf("marshal definition: %v", err)
	}
	if _, err := connector.Parse(data); err != nil {
		msg := err.Error()
		if len(msg) > 3000 {
			msg = msg[:3000]
		}
		tb.Fatalf("the imported definition does not pass validation:\n%s", msg)
	}
}

func TestImportCorpus(t *testing.T) {
	entries := readManifest(t)
	for _, e := range entries {
		t.Run(e.file, func(t *testing.T) {
			t.Parallel()
			content, err := os.ReadFile(filepath.Join(specsDir(), e.file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := importer.Import(content, importer.Options{})
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			if res.SourceFormat != e.format {
				t.Errorf("SourceFormat = %q, want %q", res.SourceFormat, e.format)
			}
			if res.Operations != e.operations {
				t.Errorf("Operations = %d, want %d (MANIFEST.tsv)", res.Operations, e.operations)
			}
			kept := len(res.Definition.Activities)
			for _, c := range res.Checklist {
				if c.Status == importer.StatusError && c.Item == "Activities" {
					kept = -1 // left-out operations are named in the checklist
				}
			}
			if kept != -1 && kept != e.operations {
				t.Errorf("%d activities for %d operations, and the checklist reports none left out", kept, e.operations)
			}
			validateLikeLoader(t, res.Definition)
			// A draft without auth must say why: no scheme declared, or
			// none usable (the golden files pin which auth types each
			// description's schemes become).
			if len(res.AuthTypes) == 1 && res.AuthTypes[0] == connector.AuthNone {
				said := false
				for _, c := range res.Checklist {
					said = said || (c.Item == "Authentication" && c.Status == importer.StatusWarning)
				}
				if !said {
					t.Error("the draft uses no auth and the checklist does not say why")
				}
			}

			got := summarize(res)
			golden := filepath.Join("testdata", "golden", e.file+".json")
			data, _ := json.MarshalIndent(got, "", "  ")
			data = append(data, '\n')
			if *update {
				if err := os.WriteFile(golden, data, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden file (run go test -run TestImportCorpus -update): %v", err)
			}
			if !bytes.Equal(want, data) {
				t.Errorf("summary differs from %s (rerun with -update if the change is intended):\ngot:\n%s", golden, data)
			}
		})
	}
}
