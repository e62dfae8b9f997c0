package connector_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"junction/connector"
)

// docsDir holds the generated page of every built-in connector.
const docsDir = "../docs/connectors"

func TestDocs(t *testing.T) {
	cat := mustCatalog(t)
	t.Run("PagesAreCurrent", func(t *testing.T) {
		want := map[string]bool{}
		for _, d := range cat.List() {
			name := d.Key + ".md"
			want[name] = true
			got, err := os.ReadFile(filepath.Join(docsDir, name))
			if err != nil {
				t.Errorf("%s: %v (run go generate ./connector)", name, err)
				continue
			}
			if !bytes.Equal(got, connector.Markdown(d)) {
				t.Errorf("docs/connectors/%s differs from the definition: run go generate ./connector", name)
			}
		}
		entries, err := os.ReadDir(docsDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".md") && e.Name() != "README.md" && !want[e.Name()] {
				t.Errorf("docs/connectors/%s has no connector: run go generate ./connector", e.Name())
			}
		}
	})
	t.Run("EverythingDescribed", func(t *testing.T) {
		for _, d := range cat.List() {
			for _, p := range connector.DocProblems(d) {
				t.Errorf("%s: %s", d.Source, p)
			}
		}
	})
	t.Run("MissingDescriptionsAreNamed", func(t *testing.T) {
		d := mustParse(t, `
key: bare
display_name: Bare
version: 1.0.0
base_url: https://api.example.com
fields: [{name: region, type: text}]
auth: [{type: bearer, fields: [{name: token, type: secret, required: true, help: Settings > API tokens.}]}]
objects:
  - name: item
    id_field: id
    operations:
      list: {method: GET, path: /items, inputs: [{name: q, type: string}]}
    events:
      - {name: created, webhook: {types: [item.created]}}
webhooks:
  signature: {scheme: token, secret_field: token, header: X-Token}
  event_type: {path: type}
activities:
  - {name: ping, method: POST, path: /ping, inputs: [{name: note, type: string, description: Said back.}]}
`)
		var got []string
		for _, p := range connector.DocProblems(d) {
			got = append(got, p.Path)
		}
		want := []string{"fields[0].help", "objects[0].operations.list.inputs[0].description",
			"objects[0].events[0].description", "activities[0].description", "webhooks.help"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("problems at %v, want %v", got, want)
		}
	})
	t.Run("PageContents", func(t *testing.T) {
		page := string(connector.Markdown(mustDefinition(t, "github")))
		for _, want := range []string{
			"# GitHub\n",
			"| Base URL | `https://api.github.com` |",
			"### OAuth app", "https://github.com/login/oauth/authorize", "<public-url>/oauth/callback",
			"#### list: `GET /repos/{owner}/{repo}/issues`",
			"Activity `create_issue`: `POST /repos/{owner}/{repo}/issues`.",
			"| `issue` | `created` | polling, every 5m; webhook `issues.opened` |",
			"### Registering the webhook",
			"`X-Hub-Signature-256`",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
	})
}
