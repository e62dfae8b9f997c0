package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
)

// TestHubSpotBatch_EndToEnd has the real server take a HubSpot delivery
// signed over the URL HubSpot was given (the trigger's webhook_url, built
// from the public URL) and make one job per event of the batch for the
// trigger's event; the same delivery signed for another URL is refused.
func TestHubSpotBatch_EndToEnd(t *testing.T) {
	clock := credstoretest.NewClock(time.Now().UTC())
	m, logs := triggerServer(t, t.TempDir(), "", clock)
	c := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	var folder junction.Folder
	c.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "CRM"}, &folder)
	const secret = "hubspot-client-SECRET-7d1e"
	var conn e2eConnection
	c.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": folder.ID, "connector": "hubspot-crm", "name": "hubspot", "auth_type": "private_app",
		"fields": map[string]any{"access_token": "pat-na1-x", "webhook_client_secret": secret, "portal_id": "33"},
	}, &conn)
	var tr e2eTrigger
	c.must(http.StatusCreated, "POST", "/api/v1/triggers", map[string]any{
		"folder_id": folder.ID, "connection_id": conn.ID, "object": "contact", "event": "created", "kind": "webhook",
		"target": map[string]any{"type": "queue", "name": "crm"},
	}, &tr)

	body := `[{"objectId":1246965,"propertyName":"lifecyclestage","propertyValue":"subscriber","changeSource":"ACADEMY",` +
		`"eventId":3816279340,"subscriptionId":25,"portalId":33,"appId":1160452,"occurredAt":1462216307945,` +
		`"subscriptionType":"contact.propertyChange","attemptNumber":0},` +
		`{"objectId":1246978,"changeSource":"IMPORT","eventId":3816279480,"subscriptionId":22,"portalId":33,` +
		`"appId":1160452,"occurredAt":1462216307945,"subscriptionType":"contact.creation","attemptNumber":0},` +
		`{"objectId":1246979,"changeSource":"IMPORT","eventId":3816279481,"subscriptionId":22,"portalId":33,` +
		`"appId":1160452,"occurredAt":1462216307945,"subscriptionType":"contact.creation","attemptNumber":0}]`
	send := func(signedURL string) int {
		t.Helper()
		ts := strconv.FormatInt(clock.Now().UnixMilli(), 10)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte("POST" + signedURL + body + ts))
		req, err := http.NewRequest("POST", tr.WebhookURL, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-HubSpot-Signature-v3", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		req.Header.Set("X-HubSpot-Request-Timestamp", ts)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := send(strings.Replace(tr.WebhookURL, "127.0.0.1", "localhost", 1)); code != http.StatusUnauthorized {
		t.Fatalf("signed for another URL: %d", code)
	}
	for range 2 { // HubSpot retries the very same delivery
		if code := send(tr.WebhookURL); code != http.StatusOK {
			t.Fatalf("delivery answered %d", code)
		}
	}
	js := c.jobs("trigger_id=" + tr.ID)
	var ids []string
	for _, j := range js {
		ids = append(ids, j.ObjectID)
	}
	if strings.Join(ids, ",") != "1246978,1246979" && strings.Join(ids, ",") != "1246979,1246978" {
		t.Fatalf("jobs for %v, want the two created contacts once each", ids)
	}
	if strings.Contains(logs.String(), secret) {
		t.Fatal("the logs show the client secret")
	}
}
