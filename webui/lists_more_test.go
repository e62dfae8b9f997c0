package webui_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"junction"
	"junction/app"
)

var (
	nextLinkRE  = regexp.MustCompile(`<a href="([^"]+)" id="next-page">`)
	firstLinkRE = regexp.MustCompile(`<a href="([^"]+)" id="first-page">`)
)

// link reads a pager link from a page, unescaped as the browser follows
// it; "" when the page has none.
func link(re *regexp.Regexp, body string) string {
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// TestListsSearchFilterPage walks the lists that are searched, filtered
// and paged by address: each filter narrows, and the pager's links keep
// the filters from one page to the next and back to the first.
func TestListsSearchFilterPage(t *testing.T) {
	e := newFullEnv(t)
	ctx := context.Background()

	t.Run("Folders", func(t *testing.T) {
		for i := range 55 {
			if _, err := e.app.CreateFolder(ctx, e.admin, app.CreateFolderInput{Name: fmt.Sprintf("team-%02d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		body := e.get("/folders?q=TEAM", http.StatusOK)
		next := link(nextLinkRE, body)
		if next != "/folders?page=2&q=TEAM" {
			t.Fatalf("next page %q", next)
		}
		if strings.Count(body, `class="depth-`) != 50 {
			t.Fatalf("first page: %d rows", strings.Count(body, `class="depth-`))
		}
		body = e.get(next, http.StatusOK)
		if n := strings.Count(body, `class="depth-`); n != 5 || link(nextLinkRE, body) != "" {
			t.Fatalf("second page: %d rows, next %q", n, link(nextLinkRE, body))
		}
		if first := link(firstLinkRE, body); first != "/folders?q=TEAM" {
			t.Fatalf("first page link %q", first)
		}
		// The create form still offers every folder, whatever the search.
		body = e.get("/folders?q=team-07", http.StatusOK)
		if strings.Count(body, `class="depth-`) != 1 || !strings.Contains(body, `>Pages</option>`) {
			t.Fatalf("search team-07: %s", body)
		}
		// Past the end: the last page, not an empty one.
		if body := e.get("/folders?q=team&page=99", http.StatusOK); strings.Count(body, `class="depth-`) != 5 {
			t.Fatalf("page 99: %d rows", strings.Count(body, `class="depth-`))
		}
	})

	t.Run("Assets", func(t *testing.T) {
		for i, typ := range []junction.AssetType{junction.AssetText, junction.AssetInteger} {
			v := junction.NewSecret(fmt.Sprint(i + 1))
			if _, err := e.app.CreateAsset(ctx, e.admin, app.CreateAssetInput{FolderID: e.folder.ID, Name: fmt.Sprintf("limit-%d", i),
				Type: typ, Value: &v}); err != nil {
				t.Fatal(err)
			}
		}
		body := e.get("/assets?type=integer", http.StatusOK)
		if !strings.Contains(body, "limit-1") || strings.Contains(body, "limit-0") {
			t.Fatalf("type filter: %s", body)
		}
		body = e.get("/assets?type=colour", http.StatusUnprocessableEntity)
		if !strings.Contains(body, `id="filter-type-error"`) || !strings.Contains(body, junction.EINVALID) {
			t.Fatalf("a bad type is not shown beside its filter: %s", body)
		}
	})

	t.Run("Connectors", func(t *testing.T) {
		all := e.get("/connectors", http.StatusOK)
		body := e.get("/connectors?auth=api_key", http.StatusOK)
		if strings.Count(body, "<tr><td>") == 0 || strings.Count(body, "<tr><td>") >= strings.Count(all, "<tr><td>") {
			t.Fatalf("the auth filter keeps %d of %d", strings.Count(body, "<tr><td>"), strings.Count(all, "<tr><td>"))
		}
		if !strings.Contains(body, `href="/connectors/http"`) || strings.Contains(body, `href="/connectors/webhook"`) {
			t.Fatal("the auth filter keeps a connector without an API key, or drops one with it")
		}
	})

	t.Run("Roles", func(t *testing.T) {
		body := e.get("/roles?kind=custom", http.StatusOK)
		if !strings.Contains(body, "No roles.") {
			t.Fatalf("custom roles of a new tenant: %s", body)
		}
		body = e.get("/roles?q=audit.view", http.StatusOK)
		if !strings.Contains(body, "Viewer") && !strings.Contains(body, "Admin") {
			t.Fatalf("permission search: %s", body)
		}
	})

	t.Run("Stores", func(t *testing.T) {
		if body := e.get("/credential-stores?q=nothing-like-this", http.StatusOK); !strings.Contains(body, "No store matches.") {
			t.Fatalf("store search: %s", body)
		}
	})

	t.Run("Proxies", func(t *testing.T) {
		for i := range 53 {
			if _, err := e.app.CreateCredentialProxy(ctx, e.admin, app.CreateCredentialProxyInput{Name: fmt.Sprintf("edge-%02d", i),
				URLs: []string{fmt.Sprintf("https://proxy-%02d.internal:8443", i)}, Key: junction.NewSecret("lists-proxy-shared-key-0123456789abcdef")}); err != nil {
				t.Fatal(err)
			}
		}
		body := e.get("/credential-proxies?q=EDGE", http.StatusOK)
		if n, next := strings.Count(body, `class="proxy-link"`), link(nextLinkRE, body); n != 50 || next != "/credential-proxies?page=2&q=EDGE" {
			t.Fatalf("first page: %d rows, next %q", n, next)
		}
		body = e.get("/credential-proxies?page=2&q=EDGE", http.StatusOK)
		if n := strings.Count(body, `class="proxy-link"`); n != 3 || link(firstLinkRE, body) != "/credential-proxies?q=EDGE" {
			t.Fatalf("second page: %d rows, first %q", n, link(firstLinkRE, body))
		}
		body = e.get("/credential-proxies?q=proxy-07.internal", http.StatusOK)
		if n := strings.Count(body, `class="proxy-link"`); n != 1 || !strings.Contains(body, ">edge-07<") {
			t.Fatalf("search by address: %d rows", n)
		}
	})

	t.Run("Audit", func(t *testing.T) {
		body := e.get("/audit?object_type=folder", http.StatusOK)
		if !strings.Contains(body, "folder.create") || strings.Contains(body, "asset.create") {
			t.Fatalf("object type filter: %s", body)
		}
		body = e.get("/audit?since=yesterday", http.StatusUnprocessableEntity)
		if !strings.Contains(body, "is not a date and time") {
			t.Fatalf("a bad time is not shown: %s", body)
		}
	})

	t.Run("TriggersByAddress", func(t *testing.T) {
		body := e.get("/triggers?kind=webhook&enabled=true&q=paid", http.StatusOK)
		for _, want := range []string{`id="trigger-filters"`, `name="q" value="paid"`, `value="webhook" selected`, `value="true" selected`} {
			if !strings.Contains(body, want) {
				t.Fatalf("the trigger filters do not show %s:\n%s", want, body)
			}
		}
		if body := e.get("/triggers?kind=carrier-pigeon", http.StatusUnprocessableEntity); !strings.Contains(body, junction.EINVALID) {
			t.Fatalf("a bad kind: %s", body)
		}
	})
}
