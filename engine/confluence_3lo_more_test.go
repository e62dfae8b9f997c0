package engine_test

import "testing"

// Confluence Cloud through an OAuth 2.0 (3LO) app, as
// https://developer.atlassian.com/cloud/confluence/oauth-2-3lo-apps/
// describes it: consent at auth.atlassian.com/authorize with audience
// api.atlassian.com and prompt=consent (no PKCE), the code exchanged at
// auth.atlassian.com/oauth/token, and every API call made through
// api.atlassian.com/ex/confluence/{cloud id} rather than the site, whose
// host the stand-in does not serve.
func TestConfluenceOAuth3LO(t *testing.T) {
	const (
		wiki = "/ex/confluence/11223344-a1b2-3b33-c444-def123456789/wiki"
		ex   = wiki + "/rest/api"
	)
	runOAuthStandIn(t, oauthStandInCase{
		key: "confluence", auth: "oauth2_3lo",
		hosts: []string{"https://auth.atlassian.com", "https://api.atlassian.com"},
		fields: map[string]string{"client_id": "atl-3lo-client", "site": "acme", "cloud_id": "11223344-a1b2-3b33-c444-def123456789",
			"scopes": "read:confluence-user search:confluence offline_access"},
		authorize: map[string]string{"audience": "api.atlassian.com", "prompt": "consent", "scope": "read:confluence-user search:confluence offline_access"},
		tokenPath: "/oauth/token", noPKCE: true,
		routes: map[string]string{
			"GET " + ex + "/user/current": `{"type":"known","accountId":"5b10ac8d82e05b22cc7d4ef5","accountType":"atlassian","email":"ann@acme.com","publicName":"Ann"}`,
			"GET " + ex + "/content/search": `{"results":[{"id":"98306","type":"page","status":"current","title":"Runbook"}],"start":0,"limit":25,"size":1,
				"_links":{"base":"https://acme.atlassian.net/wiki","context":"/wiki"}}`,
			// An attachment's _links.download, relative to the site's /wiki,
			// which the token reaches only through the gateway.
			"GET " + wiki + "/download/attachments/98306/run book.pdf": "%PDF-1.7 runbook",
		},
		sent: map[string][]string{
			"GET " + ex + "/content/search":                            {`cql=type = page and text ~ "runbook"`},
			"GET " + wiki + "/download/attachments/98306/run book.pdf": {"version=1", "api=v2"},
		},
		calls: []standInCall{
			{activity: "search_content", input: map[string]any{"cql": `type = page and text ~ "runbook"`},
				want: `{"results":[{"id":"98306","status":"current","title":"Runbook","type":"page"}]}`},
			{activity: "download_attachment", input: map[string]any{"download": "/download/attachments/98306/run%20book.pdf?version=1&modificationDate=1733479380000&api=v2"},
				want: `{"content_type":"application/json","size":16,"content":"JVBERi0xLjcgcnVuYm9vaw=="}`},
		},
	})
}
