package engine_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"junction"
)

// Confluence's 3LO connections find their cloud ID after consent, as
// https://developer.atlassian.com/cloud/confluence/oauth-2-3lo-apps/#3-1-get-the-cloudid-for-your-site
// describes: GET api.atlassian.com/oauth/token/accessible-resources with
// the new token lists the sites it reaches, [{id, url, name, scopes,
// avatarUrl}], and the site's id is the cloud ID the API's paths take.
func TestConfluenceCloudIDAfterConsent(t *testing.T) {
	const (
		access  = "atl-access-plant-7f3c"
		refresh = "atl-refresh-plant-91d0"
		secret  = "atl-client-secret-plant-2b6e"
		acmeID  = "11223344-a1b2-3b33-c444-def123456789"
		betaID  = "99887766-f1e2-4d3c-b2a1-0123456789ab"
		acme    = `{"id":"` + acmeID + `","url":"https://acme.atlassian.net","name":"acme","scopes":["read:confluence-user"],"avatarUrl":"https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png"}`
		beta    = `{"id":"` + betaID + `","url":"https://beta.atlassian.net","name":"beta","scopes":["read:confluence-user"],"avatarUrl":"https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/koala.png"}`
	)
	cases := []struct {
		name   string
		fields map[string]string
		status int    // of accessible-resources; 200 when 0
		answer string // of accessible-resources
		// wantID is the cloud ID the connection ends with; empty when the
		// consent fails with wantCode, its message holding wantMsg.
		wantID   string
		wantCode string
		wantMsg  []string
		noLookup bool
	}{
		{name: "OneSite", answer: "[" + acme + "]", wantID: acmeID},
		{name: "OneSiteNamed", fields: map[string]string{"site": "acme"}, answer: "[" + acme + "]", wantID: acmeID},
		{name: "SeveralWithSite", fields: map[string]string{"site": "Beta"}, answer: "[" + acme + "," + beta + "]", wantID: betaID},
		{name: "TypedCloudIDKept", fields: map[string]string{"cloud_id": betaID}, wantID: betaID, noLookup: true},
		{name: "ErrSeveralWithoutSite", answer: "[" + acme + "," + beta + "]", wantCode: junction.EINVALID,
			wantMsg: []string{"https://acme.atlassian.net", "https://beta.atlassian.net", "set site"}},
		{name: "ErrSiteNotReached", fields: map[string]string{"site": "gamma"}, answer: "[" + acme + "," + beta + "]", wantCode: junction.EINVALID,
			wantMsg: []string{"https://gamma.atlassian.net", "https://acme.atlassian.net", "https://beta.atlassian.net"}},
		{name: "ErrNoSite", answer: "[]", wantCode: junction.EINVALID, wantMsg: []string{"lists nothing"}},
		{name: "ErrAnswer", status: http.StatusInternalServerError, answer: `{"code":500,"message":"` + access + `"}`, wantCode: junction.EPROVIDER,
			wantMsg: []string{"HTTP 500"}},
		{name: "ErrNoID", answer: `[{"url":"https://acme.atlassian.net","name":"acme"}]`, wantCode: junction.EPROVIDER, wantMsg: []string{"cloud_id"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var (
				mu      sync.Mutex
				lookups int
				called  = map[string]int{}
			)
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch {
				case r.URL.Path == "/authorize":
					q := r.URL.Query()
					http.Redirect(w, r, q.Get("redirect_uri")+"?code=atl-code&state="+q.Get("state"), http.StatusFound)
					return
				case r.Method == http.MethodPost && r.URL.Path == "/oauth/token":
					_ = r.ParseForm()
					if r.PostForm.Get("code") != "atl-code" {
						w.WriteHeader(http.StatusBadRequest)
						_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
						return
					}
					_, _ = w.Write([]byte(`{"access_token":"` + access + `","refresh_token":"` + refresh + `","token_type":"Bearer","expires_in":3600,"scope":"read:confluence-user offline_access"}`))
					return
				}
				if r.Header.Get("Authorization") != "Bearer "+access {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				called[r.Method+" "+r.URL.Path]++
				switch {
				case r.Method == http.MethodGet && r.URL.Path == "/oauth/token/accessible-resources":
					lookups++
					if tc.status != 0 {
						w.WriteHeader(tc.status)
					}
					_, _ = w.Write([]byte(tc.answer))
				case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/wiki/rest/api/user/current"):
					_, _ = w.Write([]byte(`{"type":"known","accountId":"5b10ac8d82e05b22cc7d4ef5","publicName":"Ann"}`))
				default:
					w.WriteHeader(http.StatusNotFound)
				}
			}))
			t.Cleanup(srv.Close)

			f := newFixture(t, fixtureOptions{extra: standInDefinition(t, "confluence", srv.URL,
				[]string{"https://auth.atlassian.com", "https://api.atlassian.com"})})
			f.trust(srv)
			fields := map[string]junction.FieldValue{"client_id": {Value: "atl-3lo-client"}}
			for k, v := range tc.fields {
				fields[k] = junction.FieldValue{Value: v}
			}
			conn := f.connection(t, "confluence-standin", "oauth2_3lo", fields, map[string]junction.Secret{"client_secret": junction.NewSecret(secret)})

			// Before consent, an execution says where the cloud ID comes from.
			if tc.fields["cloud_id"] == "" {
				_, err := f.eng.Test(f.ctx, conn)
				if err == nil || !strings.Contains(junction.ErrorMessage(err), "authorize") {
					t.Fatalf("test before consent: %v", err)
				}
			}

			authURL, err := f.eng.BeginAuthorize(f.ctx, conn, "user-1", redirectURI)
			if err != nil {
				t.Fatal(err)
			}
			browser := srv.Client()
			browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := browser.Get(authURL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			back, err := resp.Location()
			if err != nil {
				t.Fatalf("consent answered %d without a redirect", resp.StatusCode)
			}
			done, err := f.eng.CompleteAuthorize(f.ctx, back.Query().Get("state"), back.Query().Get("code"))
			conn = f.reload(t, conn)
			for _, s := range []string{access, refresh, secret} {
				if strings.Contains(junction.ErrorMessage(err), s) || strings.Contains(conn.StatusReason, s) {
					t.Fatalf("a secret shows: %v / %q", err, conn.StatusReason)
				}
			}
			mu.Lock()
			if n := lookups; (n == 0) != tc.noLookup {
				t.Errorf("accessible-resources asked %d times", n)
			}
			mu.Unlock()

			if tc.wantCode != "" {
				if junction.ErrorCode(err) != tc.wantCode {
					t.Fatalf("complete authorize: %v, want %s", err, tc.wantCode)
				}
				var je *junction.Error
				if tc.wantCode == junction.EINVALID && (!asError(err, &je) || je.Field != "fields.site") {
					t.Errorf("error field: %v", err)
				}
				for _, m := range tc.wantMsg {
					if !strings.Contains(junction.ErrorMessage(err), m) {
						t.Errorf("message %q lacks %q", junction.ErrorMessage(err), m)
					}
				}
				if conn.Status != junction.ConnectionDisconnected || conn.StatusReason != junction.ErrorMessage(err) {
					t.Errorf("status %s %q", conn.Status, conn.StatusReason)
				}
				if conn.TokenSealedID != "" || conn.Fields["cloud_id"].Value != nil {
					t.Errorf("kept a token or a cloud ID: %+v", conn)
				}
				return
			}
			if err != nil {
				t.Fatalf("complete authorize: %v", err)
			}
			if got := conn.Fields["cloud_id"].Value; got != tc.wantID || conn.TokenSealedID == "" || conn.Status != junction.ConnectionConnected {
				t.Fatalf("cloud_id %v, token %q, status %s", got, conn.TokenSealedID, conn.Status)
			}
			if wantFilled := !tc.noLookup; (len(done.Filled) == 1 && done.Filled[0] == "cloud_id") != wantFilled {
				t.Errorf("filled %v", done.Filled)
			}
			if _, err := f.eng.Test(f.ctx, conn); err != nil {
				t.Fatalf("test: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if called["GET /ex/confluence/"+tc.wantID+"/wiki/rest/api/user/current"] != 1 {
				t.Errorf("the test did not go through the cloud ID: %v", called)
			}
		})
	}
}
