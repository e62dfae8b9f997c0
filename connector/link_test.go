package connector_test

import (
	"strings"
	"testing"

	"junction"
	"junction/connector"
)

// An attachment's _links.download goes under each scheme's own base URL:
// the site's /wiki for an API token, the 3LO gateway's for a token the
// site does not take. A link that names a host or climbs out of the root
// is refused before anything is sent.
func TestLinkResolvedPerScheme(t *testing.T) {
	d := mustDefinition(t, "confluence")
	basic := connector.Credentials{Auth: "basic", Fields: map[string]string{"site": "acme", "email": "ann@example.com"}, Secrets: secrets("api_token", "ATATT-link-plant")}
	threeLO := connector.Credentials{Auth: "oauth2_3lo", Fields: map[string]string{"cloud_id": "1122-3344", "client_id": "c1", "scopes": "read:confluence-content.all"},
		Secrets: secrets("client_secret", "s1"), AccessToken: junction.NewSecret("atl-access-plant")}
	const link = "/download/attachments/98306/run%20book.pdf?version=1&api=v2"
	for _, tc := range []struct {
		name string
		cred connector.Credentials
		want string
	}{
		{"APIToken", basic, "https://acme.atlassian.net/wiki/download/attachments/98306/run%20book.pdf?api=v2&version=1"},
		{"ThreeLO", threeLO, "https://api.atlassian.com/ex/confluence/1122-3344/wiki/download/attachments/98306/run%20book.pdf?api=v2&version=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := d.BuildActivity(tc.cred, "download_attachment", map[string]any{"download": link})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.URL.String(); got != tc.want {
				t.Errorf("URL %s\nwant %s", got, tc.want)
			}
			if r.Header.Get("Authorization") == "" {
				t.Error("no credentials sent")
			}
			for _, planted := range []string{"ATATT-link-plant", "atl-access-plant"} {
				if strings.Contains(r.String(), planted) {
					t.Errorf("the request shows a credential: %s", r)
				}
			}
		})
	}
	for _, bad := range []string{
		"https://evil.example/download/x", "//evil.example/download/x", "download/x", "/download/../../rest/x",
		"/download/%2e%2e/x", `/\evil.example/x`, "",
	} {
		t.Run("ErrLink", func(t *testing.T) {
			_, err := d.BuildActivity(basic, "download_attachment", map[string]any{"download": bad})
			if !junction.IsCode(err, junction.EINVALID) {
				t.Errorf("link %q: %v, want invalid", bad, err)
			}
		})
	}
}

func TestLinkValidation(t *testing.T) {
	const head = "key: l\ndisplay_name: L\nversion: 1.0.0\nbase_url: https://api.example.com/v1\nauth: [{type: none}]\nactivities:\n"
	for _, tc := range []struct{ name, activity, want string }{
		{"TrimNotEnding", "  - {name: a, method: GET, link: {input: u, trim: /v2}, inputs: [{name: u, type: string, required: true}]}", "does not end with it"},
		{"InputOptional", "  - {name: a, method: GET, link: {input: u}, inputs: [{name: u, type: string}]}", "required string input"},
		{"PathToo", "  - {name: a, method: GET, path: /x, link: {input: u}, inputs: [{name: u, type: string, required: true}]}", "replaces path"},
		{"NoPathNoLink", "  - {name: a, method: GET}", "path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := connector.Parse([]byte(head + tc.activity + "\n"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := connector.Parse([]byte(head + "  - {name: a, method: GET, link: {input: u, trim: /v1}, inputs: [{name: u, type: string, required: true}]}\n")); err != nil {
		t.Errorf("a good link: %v", err)
	}
}
