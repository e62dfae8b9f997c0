package webui_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"junction"
	"junction/app"
	"junction/httpapi/httpapitest"
	"junction/webui"
)

// a11yPage is one page the accessibility checks render, with the control
// a keyboard user must reach by Tab from the top of the page ("" for
// none to check).
type a11yPage struct {
	path   string
	action string
}

// a11ySite is the whole server, signed in as the administrator, with one
// object of each kind so that every page shows its rows and forms.
func a11ySite(t *testing.T) (*fullEnv, []a11yPage) {
	t.Helper()
	e := newFullEnv(t, httpapitest.Options{HoldQueue: true})
	ctx := context.Background()
	up := upstream(t)
	conn := e.createHTTPConnection("reachable", up.URL)
	res, err := e.app.Execute(ctx, e.admin, conn, app.ExecuteInput{Activity: "http_request", Input: map[string]any{"path": "/things"}})
	if err != nil {
		t.Fatal(err)
	}
	asset, err := e.app.CreateAsset(ctx, e.admin, app.CreateAssetInput{FolderID: e.folder.ID, Name: "region",
		Type: junction.AssetText, Value: ptr(junction.NewSecret("eu-west"))})
	if err != nil {
		t.Fatal(err)
	}
	hook, err := e.app.CreateConnection(ctx, e.admin, app.CreateConnectionInput{FolderID: e.folder.ID, Connector: "webhook",
		Name: "shop", Fields: map[string]app.FieldInput{}, SkipTest: true})
	if err != nil {
		t.Fatal(err)
	}
	resp, body := e.post("/triggers", url.Values{"connection_id": {hook.ID}, "event": {"event.received"}, "name": {"orders"},
		"target_type": {"queue"}, "target_name": {"orders"}})
	wantStatus(t, "create a trigger: "+body, resp, http.StatusSeeOther)
	trigger := triggerPathRE.FindStringSubmatch(resp.Header.Get("Location"))[1]
	gh, err := e.app.CreateConnection(ctx, e.admin, app.CreateConnectionInput{FolderID: e.folder.ID, Connector: "github",
		Name: "gh", AuthType: "bearer", Fields: map[string]app.FieldInput{"token": {Literal: ptr(junction.NewSecret("ghp-a11y"))}}, SkipTest: true})
	if err != nil {
		t.Fatal(err)
	}
	poll, err := e.app.CreateTrigger(ctx, e.admin, app.CreateTriggerInput{FolderID: e.folder.ID, ConnectionID: gh.ID,
		Object: "issue", Event: "created", Filter: `record.number == "1"`, Parameters: map[string]any{"owner": "o", "repo": "r"},
		Target: app.TriggerTargetInput{Type: junction.TargetQueue, Name: "issues"}})
	if err != nil {
		t.Fatal(err)
	}
	stores, err := e.app.ListCredentialStores(ctx, e.admin, junction.Page{Limit: 1})
	if err != nil || len(stores.Items) == 0 {
		t.Fatalf("stores: %v %v", stores.Items, err)
	}
	storeType := e.app.StoreTypes()[0].Name
	proxy, err := e.app.CreateCredentialProxy(ctx, e.admin, app.CreateCredentialProxyInput{Name: "dc-east",
		URLs: []string{"https://proxy.internal:8443"}, Key: junction.NewSecret("a11y-proxy-shared-key-0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	return e, []a11yPage{
		{"/", ""},
		{"/connectors", "#q"},
		{"/connectors/http", ""},
		{"/connections", "#new-connection"},
		{"/connections/new", ""},
		{"/connections/" + conn, "#test"},
		{"/connections/" + conn + "/edit", ""},
		{"/connections/" + conn + "/delete", ""},
		{"/credential-stores", "#store-q"},
		{"/credential-stores?type=" + storeType, "#create-store"},
		{"/credential-stores/" + stores.Items[0].ID, ""},
		{"/credential-stores?type=" + junction.CredentialProxyStoreType, "#store-proxy-id"},
		{"/credential-proxies", "#proxy-q"},
		{"/credential-proxies/" + proxy.ID, "#test-proxy"},
		{"/credential-proxies/" + proxy.ID + "/delete", ""},
		{"/assets", "#q"},
		{"/assets/" + asset.ID + "/edit", ""},
		{"/assets/" + asset.ID + "/reveal", ""},
		{"/assets/" + asset.ID + "/delete", ""},
		{"/folders", "#create-folder"},
		{"/folders/" + e.folder.ID + "/edit", ""},
		{"/folders/" + e.folder.ID + "/members", "#add-member"},
		{"/triggers", "#new-trigger"},
		{"/triggers/new", ""},
		{"/triggers/" + trigger, ""},
		{"/triggers/" + trigger + "/edit", ""},
		{"/triggers/" + poll.ID, ""},
		{"/triggers/" + poll.ID + "/edit", ""},
		{"/jobs", "#job-status"},
		{"/executions", "#filter-executions"},
		{"/executions/" + res.ExecutionID, ""},
		{"/audit", "#action"},
		{"/users", "#user-q"},
		{"/roles", "#role-q"},
		{"/builder", "#new-custom"},
		{"/builder/new", ""},
		{"/errors", ""},
		{"/errors/" + junction.ENOTFOUND, ""},
		{"/login", "#signin"},
		{"/no-such-page", ""},
		{"/connections/00000000-0000-0000-0000-000000000000", ""},
	}
}

// TestAccessibility renders every page as the administrator and checks
// its HTML the way an accessibility audit does: one language, one h1, a
// way past the header, a label for every control, text for every button
// and link, an alternative for every image.
func TestAccessibility(t *testing.T) {
	e, pages := a11ySite(t)
	check := func(t *testing.T, path, body string) {
		for _, p := range a11yProblems(body) {
			t.Errorf("%s: %s", path, p)
		}
	}
	// A page is its HTML and the one stylesheet (icons are inline data:
	// URLs, counted in the HTML); together under 200 KB.
	_, css := e.do(e.client, "GET", "/static/style.css", nil)
	for _, p := range pages {
		t.Run(strings.TrimPrefix(p.path, "/"), func(t *testing.T) {
			resp, body := e.do(e.client, "GET", p.path, nil)
			want := http.StatusOK
			if p.path == "/no-such-page" || strings.HasSuffix(p.path, "/00000000-0000-0000-0000-000000000000") {
				want = http.StatusNotFound
			}
			wantStatus(t, "GET "+p.path, resp, want)
			n := len(body) + len(css)
			t.Logf("%d bytes with the stylesheet", n)
			if n >= 200_000 {
				t.Errorf("%s: %d bytes with the stylesheet, want under 200 KB", p.path, n)
			}
			check(t, p.path, body)
		})
	}
	// A viewer sees fewer forms and buttons, and refusals: the same rules.
	t.Run("Viewer", func(t *testing.T) {
		c, _ := e.signInAs("vera", "Viewer")
		for _, p := range pages {
			resp, body := e.do(c, "GET", p.path, nil)
			if resp.StatusCode >= 500 {
				t.Fatalf("GET %s as a viewer: %d", p.path, resp.StatusCode)
			}
			check(t, p.path+" (viewer)", body)
		}
	})
	t.Run("SignedOut", func(t *testing.T) {
		c := e.newClient()
		for _, path := range []string{"/login", "/errors"} {
			_, body := e.do(c, "GET", path, nil)
			check(t, path, body)
		}
	})
}

// a11yProblems lists what an accessibility audit finds wrong in a page.
func a11yProblems(page string) []string {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return []string{"unparsable: " + err.Error()}
	}
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	ids := map[string]int{}
	labelled := map[string]bool{}
	var h1, mains int
	var skip bool
	var controls, navs []*html.Node
	var walk func(n *html.Node, inLabel bool)
	walk = func(n *html.Node, inLabel bool) {
		if n.Type == html.ElementNode {
			if id := attr(n, "id"); id != "" {
				ids[id]++
			}
			switch n.DataAtom {
			case atom.Html:
				if attr(n, "lang") == "" {
					bad("<html> has no lang")
				}
			case atom.H1:
				h1++
			case atom.Main:
				mains++
			case atom.Label:
				if f := attr(n, "for"); f != "" {
					labelled[f] = true
				}
				inLabel = true
			case atom.Input:
				switch attr(n, "type") {
				case "hidden", "submit", "button", "reset", "image":
				default:
					if inLabel {
						n.Attr = append(n.Attr, html.Attribute{Key: "data-wrapped"})
					}
					controls = append(controls, n)
				}
			case atom.Select, atom.Textarea:
				if inLabel {
					n.Attr = append(n.Attr, html.Attribute{Key: "data-wrapped"})
				}
				controls = append(controls, n)
			case atom.Button:
				if accessibleName(n) == "" {
					bad("a button without text: %s", render(n))
				}
			case atom.A:
				if attr(n, "href") != "" && accessibleName(n) == "" {
					bad("a link without text: %s", render(n))
				}
				if strings.HasPrefix(attr(n, "href"), "#") && strings.Contains(strings.ToLower(textOf(n)), "skip") {
					skip = true
				}
			case atom.Img:
				if _, ok := attrOK(n, "alt"); !ok {
					bad("an image without alt: %s", render(n))
				}
			case atom.Th:
				if accessibleName(n) == "" {
					bad("a table header without text")
				}
			case atom.Nav:
				navs = append(navs, n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inLabel)
		}
	}
	walk(doc, false)
	if h1 != 1 {
		bad("%d h1 elements, want 1", h1)
	}
	if mains != 1 {
		bad("%d main landmarks, want 1", mains)
	}
	if !skip && mains == 0 {
		bad("neither a skip link nor a main landmark")
	}
	if len(navs) > 1 {
		for _, n := range navs {
			if accessibleName(n) == "" || attr(n, "aria-label") == "" && attr(n, "aria-labelledby") == "" {
				bad("one of several nav landmarks without a name: %s", render(n))
			}
		}
	}
	for id, n := range ids {
		if n > 1 {
			bad("id %q used %d times", id, n)
		}
	}
	for _, c := range controls {
		_, wrapped := attrOK(c, "data-wrapped")
		if wrapped || attr(c, "aria-label") != "" || attr(c, "aria-labelledby") != "" || (attr(c, "id") != "" && labelled[attr(c, "id")]) {
			continue
		}
		bad("a control without a label: %s", render(c))
	}
	return out
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func attr(n *html.Node, key string) string { v, _ := attrOK(n, key); return v }

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.Img {
			b.WriteString(attr(n, "alt"))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

// accessibleName is the text a screen reader announces for a button or
// link.
func accessibleName(n *html.Node) string {
	if v := attr(n, "aria-label"); v != "" {
		return v
	}
	if attr(n, "aria-labelledby") != "" {
		return "labelled"
	}
	return textOf(n)
}

func render(n *html.Node) string {
	var b strings.Builder
	b.WriteString("<" + n.Data)
	for _, a := range n.Attr {
		if a.Key != "data-wrapped" && a.Key != "value" {
			fmt.Fprintf(&b, " %s=%q", a.Key, a.Val)
		}
	}
	return b.String() + ">"
}

// TestContrast computes the WCAG contrast of the stylesheet's text
// colours on the backgrounds they are shown on: 4.5:1 at least (AA for
// body text).
func TestContrast(t *testing.T) {
	e := newEnv(t, webui.Options{})
	_, css := e.do(e.client, "GET", "/static/style.css", nil)
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`(--[a-z-]+):\s*(#[0-9a-fA-F]{3,6})`).FindAllStringSubmatch(css, -1) {
		vars[m[1]] = m[2]
	}
	col := func(name string) string {
		if strings.HasPrefix(name, "#") {
			return name
		}
		v, ok := vars[name]
		if !ok {
			t.Fatalf("the stylesheet defines no %s", name)
		}
		return v
	}
	// Each pair is a text colour and a background it is drawn on.
	pairs := [][2]string{
		{"--fg", "--bg"}, {"--fg", "--alt"},
		{"--muted", "--bg"}, {"--muted", "--alt"},
		{"--accent", "--bg"}, {"--accent", "--alt"},
		{"--bad", "--bg"}, {"--bad", "--alt"}, {"--bad", "--problem-bg"},
		{"--good", "--bg"}, {"--good", "--alt"}, {"--good", "--notice-bg"}, {"--fg", "--notice-bg"}, {"--fg", "--problem-bg"},
		{"--warn", "--bg"}, {"--warn", "--alt"},
		{"#ffffff", "--header"}, {"#ffffff", "--accent"},
	}
	for _, p := range pairs {
		fg, bg := col(p[0]), col(p[1])
		if r := contrast(t, fg, bg); r < 4.5 {
			t.Errorf("%s (%s) on %s (%s): contrast %.2f:1, want 4.5:1", p[0], fg, p[1], bg, r)
		}
	}
	// The focus ring and the borders of controls are not text: WCAG asks
	// 3:1 against what they sit on.
	for _, ui := range []string{"--focus", "--control"} {
		for _, bg := range []string{"--bg", "--alt", "--header"} {
			if r := contrast(t, col(ui), col(bg)); r < 3 {
				t.Errorf("%s on %s: contrast %.2f:1, want 3:1", ui, bg, r)
			}
		}
	}
}

// contrast is WCAG 2's contrast ratio of two sRGB colours.
func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(t *testing.T, hex string) float64 {
	h := strings.TrimPrefix(hex, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil || len(h) != 6 {
		t.Fatalf("colour %q", hex)
	}
	lin := func(c uint64) float64 {
		s := float64(c) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(v>>16&0xff) + 0.7152*lin(v>>8&0xff) + 0.0722*lin(v&0xff)
}

// TestAccessibilityChecker shows that the checks above find what they
// look for: a page passing them is not a page they cannot read.
func TestAccessibilityChecker(t *testing.T) {
	bad := `<!doctype html><html><body><h1>a</h1><h1>b</h1><input id="x" name="x"><select name="s"></select>` +
		`<textarea id="t"></textarea><label for="t">T</label><button></button><a href="/x"><img src="i.png"></a><p id="d"></p><p id="d"></p>` +
		`<table><tr><th></th></tr></table><nav aria-label="Main"></nav><nav><a href="/">Home</a></nav></body></html>`
	got := strings.Join(a11yProblems(bad), "\n")
	for _, want := range []string{"no lang", "2 h1", "0 main", "neither a skip link", `without a label: <input id="x"`,
		`without a label: <select name="s"`, "button without text", "link without text", "image without alt", `id "d" used 2 times`,
		"table header without text", "nav landmarks without a name: <nav>"} {
		if !strings.Contains(got, want) {
			t.Errorf("the checker misses %q; found:\n%s", want, got)
		}
	}
	if strings.Contains(got, `<textarea`) {
		t.Errorf("a labelled textarea is reported:\n%s", got)
	}
	good := `<!doctype html><html lang="en"><body><a href="#main">Skip to the content</a><main id="main"><h1>a</h1>` +
		`<label>Name <input name="n"></label><input aria-label="Search" type="search"><button aria-label="Close"></button>` +
		`<img src="i.png" alt=""><input type="hidden" name="h"></main></body></html>`
	if got := a11yProblems(good); len(got) > 0 {
		t.Errorf("a sound page is reported: %v", got)
	}
}
