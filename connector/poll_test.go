package connector_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/connector"
)

func TestEvents(t *testing.T) {
	d := mustDefinition(t, "github")
	var names []string
	for _, oe := range d.Events() {
		names = append(names, oe.Object.Name+"."+oe.Event.Name)
	}
	want := "repository.pushed issue.created issue.updated issue.closed issue.deleted pull_request.created pull_request.updated pull_request.closed"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("Events() = %s, want %s", got, want)
	}
	if e := d.Event("issue", "created"); e == nil || e.Polling == nil || e.Webhook == nil {
		t.Errorf("Event(issue, created) = %+v", e)
	}
	if e := d.Event("issue", "created"); e.PollInterval() != 5*time.Minute {
		t.Errorf("PollInterval = %s", e.PollInterval())
	}
	if d.Event("issue", "nope") != nil || d.Event("nope", "created") != nil {
		t.Error("Event found what does not exist")
	}
	if e := d.Event("issue", "deleted"); e.Polling != nil || e.PollInterval() != 0 {
		t.Error("issue.deleted should be webhook-only")
	}
}

func TestBuildPoll(t *testing.T) {
	watermark := time.Date(2024, 3, 10, 12, 34, 56, 0, time.UTC)
	github := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "ghp_example")}
	jira := connector.Credentials{Auth: "basic", Fields: map[string]string{"site": "acme", "email": "ann@example.com", "time_zone": "America/New_York"}, Secrets: secrets("api_token", "t")}
	zendesk := connector.Credentials{Auth: "api_token", Fields: map[string]string{"subdomain": "acme", "email": "ann@example.com"}, Secrets: secrets("api_token", "zd")}
	cases := []struct {
		name, key     string
		cred          connector.Credentials
		object, event string
		input         map[string]any
		state         connector.PollState
		want          string // method and URL
	}{
		// GitHub: since is ISO 8601 in UTC; a minute of look-back.
		{"GitHubSince", "github", github, "issue", "updated", map[string]any{"owner": "octo", "repo": "hello"}, connector.PollState{Watermark: watermark},
			"GET https://api.github.com/repos/octo/hello/issues?direction=asc&per_page=100&since=2024-03-10T12%3A33%3A56Z&sort=updated&state=all"},
		{"GitHubFirstPoll", "github", github, "issue", "created", map[string]any{"owner": "octo", "repo": "hello"}, connector.PollState{},
			"GET https://api.github.com/repos/octo/hello/issues?direction=asc&per_page=100&sort=updated&state=all"},
		// Stripe: created[gte] in Unix seconds.
		{"StripeCreatedGTE", "stripe", connector.Credentials{Secrets: secrets("secret_key", "sk_test")}, "customer", "created", nil, connector.PollState{Watermark: watermark},
			"GET https://api.stripe.com/v1/customers?created%5Bgte%5D=1710074036&limit=100"},
		// Jira: JQL's "yyyy/MM/dd HH:mm" in the account's zone. New York
		// moved to daylight time that morning: 12:33:56Z is 08:33 EDT.
		{"JiraJQLInSiteZone", "jira", jira, "issue", "updated", nil, connector.PollState{Watermark: watermark},
			`GET https://acme.atlassian.net/rest/api/3/search/jql?jql=updated+%3E%3D+%222024%2F03%2F10+08%3A33%22+ORDER+BY+updated+ASC&maxResults=100`},
		{"JiraCreatedUTCByDefault", "jira", connector.Credentials{Auth: "basic", Fields: map[string]string{"site": "acme", "email": "a@example.com"}, Secrets: secrets("api_token", "t")}, "issue", "created", nil, connector.PollState{Watermark: watermark},
			`GET https://acme.atlassian.net/rest/api/3/search/jql?jql=created+%3E%3D+%222024%2F03%2F10+12%3A33%22+ORDER+BY+created+ASC&maxResults=100`},
		// Zendesk: the export takes start_time in Unix seconds, then its
		// cursor instead.
		{"ZendeskStartTime", "zendesk", zendesk, "ticket", "updated", nil, connector.PollState{Watermark: watermark},
			"GET https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?start_time=1710073976"},
		{"ZendeskCursor", "zendesk", zendesk, "ticket", "updated", nil, connector.PollState{Watermark: watermark, Cursor: "MTU3NjYxMzUzOS4wfHw0Njd8"},
			"GET https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=MTU3NjYxMzUzOS4wfHw0Njd8"},
		// Slack: oldest is a string of Unix seconds.
		{"SlackOldest", "slack", connector.Credentials{Auth: "bearer", Secrets: secrets("token", "xoxb")}, "message", "created", map[string]any{"channel": "C1"}, connector.PollState{Watermark: watermark},
			"GET https://slack.com/api/conversations.history?channel=C1&limit=200&oldest=1710074036"},
		// Twilio: DateSent> takes a day.
		{"TwilioDay", "twilio", connector.Credentials{Auth: "auth_token", Fields: map[string]string{"account_sid": "AC1"}, Secrets: secrets("auth_token", "x")}, "message", "received", nil, connector.PollState{Watermark: watermark},
			"GET https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?DateSent%3E=2024-03-10&PageSize=1000"},
		{"PagerDutySince", "pagerduty", connector.Credentials{Secrets: secrets("api_key", "k")}, "incident", "triggered", nil, connector.PollState{Watermark: watermark},
			"GET https://api.pagerduty.com/incidents?limit=100&since=2024-03-10T12%3A33%3A56Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := mustDefinition(t, tc.key).BuildPoll(tc.cred, tc.object, tc.event, tc.input, tc.state)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Method + " " + r.URL.String(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if r.Header.Get("Authorization") == "" {
				t.Error("poll request is not authenticated")
			}
		})
	}
	t.Run("ErrInputSetByTrigger", func(t *testing.T) {
		_, err := mustDefinition(t, "github").BuildPoll(github, "issue", "updated", map[string]any{"owner": "o", "repo": "r", "sort": "created"}, connector.PollState{})
		wantInvalid(t, err, "input.sort")
		_, err = mustDefinition(t, "github").BuildPoll(github, "issue", "updated", map[string]any{"owner": "o", "repo": "r", "since": "2020-01-01T00:00:00Z"}, connector.PollState{Watermark: watermark})
		wantInvalid(t, err, "input.since")
	})
	t.Run("ErrMissingInput", func(t *testing.T) {
		_, err := mustDefinition(t, "github").BuildPoll(github, "issue", "updated", nil, connector.PollState{})
		wantInvalid(t, err, "input.owner")
	})
	t.Run("ErrWebhookOnly", func(t *testing.T) {
		_, err := mustDefinition(t, "github").BuildPoll(github, "issue", "deleted", nil, connector.PollState{})
		if !junction.IsCode(err, junction.EINVALID) {
			t.Fatalf("got %v, want validation_failed", err)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		for _, oe := range [][2]string{{"issue", "nope"}, {"nope", "created"}} {
			_, err := mustDefinition(t, "github").BuildPoll(github, oe[0], oe[1], nil, connector.PollState{})
			if !junction.IsCode(err, junction.ENOTFOUND) {
				t.Errorf("%v: got %v, want not_found", oe, err)
			}
		}
	})
	t.Run("ErrBadTimeZone", func(t *testing.T) {
		c := jira
		c.Fields = map[string]string{"site": "acme", "email": "a@example.com", "time_zone": "Mars/Olympus"}
		_, err := mustDefinition(t, "jira").BuildPoll(c, "issue", "updated", nil, connector.PollState{Watermark: watermark})
		wantInvalid(t, err, "fields.time_zone")
	})
}

func TestPollRecords(t *testing.T) {
	t.Run("GitHub", func(t *testing.T) {
		d := mustDefinition(t, "github")
		cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "ghp")}
		state := connector.PollState{Watermark: time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)}
		req, err := d.BuildPoll(cred, "issue", "updated", map[string]any{"owner": "octo", "repo": "hello"}, state)
		if err != nil {
			t.Fatal(err)
		}
		body := `[
			{"id": 1, "number": 10, "title": "old, edited", "created_at": "2023-12-01T00:00:00Z", "updated_at": "2024-01-01T10:05:00Z"},
			{"id": 2, "number": 11, "title": "new", "created_at": "2024-01-01T10:06:00Z", "updated_at": "2024-01-01T10:06:00Z"},
			{"id": 3, "number": 12, "title": "new, then edited", "created_at": "2024-01-01T10:07:00Z", "updated_at": "2024-01-01T10:09:30Z"},
			{"id": 4, "number": 13, "title": "edited within the look-back", "created_at": "2023-01-01T00:00:00Z", "updated_at": "2024-01-01T09:59:30Z"}
		]`
		resp := connector.Response{StatusCode: 200, Body: []byte(body), Header: http.Header{
			"Link": {`<https://api.github.com/repositories/1/issues?page=2&per_page=100>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last"`}}}
		page, err := d.PollRecords("issue", "updated", state, req, resp)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range page.Records {
			got = append(got, r.ID+":"+r.Change)
		}
		if strings.Join(got, " ") != "1:updated 4:updated" {
			t.Errorf("updated records = %v", got)
		}
		if r := page.Records[0]; r.Record["title"] != "old, edited" || !r.Updated.Equal(time.Date(2024, 1, 1, 10, 5, 0, 0, time.UTC)) {
			t.Errorf("record = %+v", r)
		}
		if want := time.Date(2024, 1, 1, 10, 9, 30, 0, time.UTC); !page.Watermark.Equal(want) {
			t.Errorf("Watermark = %s, want %s", page.Watermark, want)
		}
		if page.Next == nil || page.Next.URL.String() != "https://api.github.com/repositories/1/issues?page=2&per_page=100" {
			t.Errorf("Next = %v", page.Next)
		}
		created, err := d.PollRecords("issue", "created", state, req, resp)
		if err != nil {
			t.Fatal(err)
		}
		got = nil
		for _, r := range created.Records {
			got = append(got, r.ID+":"+r.Change)
		}
		if strings.Join(got, " ") != "2:created 3:created" {
			t.Errorf("created records = %v", got)
		}
		next := page.Advance(state)
		if !next.Watermark.Equal(page.Watermark) || next.Cursor != "" {
			t.Errorf("Advance = %+v", next)
		}
		if again := (&connector.PollPage{}).Advance(next); again != next {
			t.Errorf("an empty page moved the state: %+v", again)
		}
	})
	t.Run("GitHubDropsRecordsBeforeLookback", func(t *testing.T) {
		d := mustDefinition(t, "github")
		state := connector.PollState{Watermark: time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)}
		req, _ := d.BuildPoll(connector.Credentials{Auth: "bearer", Secrets: secrets("token", "x")}, "issue", "updated", map[string]any{"owner": "o", "repo": "r"}, state)
		page, err := d.PollRecords("issue", "updated", state, req, connector.Response{StatusCode: 200, Body: []byte(
			`[{"id": 9, "created_at": "2020-01-01T00:00:00Z", "updated_at": "2024-01-01T09:58:00Z"}]`)})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != 0 || page.Next != nil {
			t.Errorf("page = %+v", page)
		}
	})
	t.Run("Stripe", func(t *testing.T) {
		d := mustDefinition(t, "stripe")
		state := connector.PollState{Watermark: time.Unix(1680893000, 0)}
		req, err := d.BuildPoll(connector.Credentials{Secrets: secrets("secret_key", "sk")}, "customer", "created", nil, state)
		if err != nil {
			t.Fatal(err)
		}
		body := `{"object":"list","url":"/v1/customers","has_more":true,"data":[
			{"id":"cus_NffrFeUfNV2Hib","object":"customer","created":1680893993,"email":"jennyrosen@example.com"},
			{"id":"cus_Nffq","object":"customer","created":1680893100}]}`
		page, err := d.PollRecords("customer", "created", state, req, connector.Response{StatusCode: 200, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != 2 || page.Records[0].ID != "cus_NffrFeUfNV2Hib" || page.Records[0].Change != "created" ||
			!page.Records[0].Created.Equal(time.Unix(1680893993, 0)) {
			t.Errorf("records = %+v", page.Records)
		}
		if !page.Watermark.Equal(time.Unix(1680893993, 0)) {
			t.Errorf("Watermark = %s", page.Watermark)
		}
		if page.Next == nil || !strings.Contains(page.Next.URL.RawQuery, "starting_after=cus_Nffq") || !strings.Contains(page.Next.URL.RawQuery, "created%5Bgte%5D=1680892940") {
			t.Errorf("Next = %v", page.Next)
		}
	})
	t.Run("Jira", func(t *testing.T) {
		d := mustDefinition(t, "jira")
		cred := connector.Credentials{Auth: "basic", Fields: map[string]string{"site": "acme", "email": "a@example.com"}, Secrets: secrets("api_token", "t")}
		state := connector.PollState{Watermark: time.Date(2024, 4, 5, 19, 0, 0, 0, time.UTC)}
		req, err := d.BuildPoll(cred, "issue", "updated", nil, state)
		if err != nil {
			t.Fatal(err)
		}
		body := `{"issues":[{"id":"10002","key":"OPS-7","fields":{"summary":"Disk full","created":"2024-01-02T09:00:00.000+0100","updated":"2024-04-05T21:34:38.901+0200"}}],"nextPageToken":"tok2","isLast":false}`
		page, err := d.PollRecords("issue", "updated", state, req, connector.Response{StatusCode: 200, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != 1 {
			t.Fatalf("records = %+v", page.Records)
		}
		r := page.Records[0]
		if r.ID != "OPS-7" || r.Change != "updated" || !r.Updated.Equal(time.Date(2024, 4, 5, 19, 34, 38, 901e6, time.UTC)) || !r.Created.Equal(time.Date(2024, 1, 2, 8, 0, 0, 0, time.UTC)) {
			t.Errorf("record = %+v", r)
		}
		if page.Next == nil || !strings.Contains(page.Next.URL.RawQuery, "nextPageToken=tok2") {
			t.Errorf("Next = %v", page.Next)
		}
	})
	t.Run("ZendeskCursor", func(t *testing.T) {
		d := mustDefinition(t, "zendesk")
		cred := connector.Credentials{Auth: "api_token", Fields: map[string]string{"subdomain": "acme", "email": "a@example.com"}, Secrets: secrets("api_token", "zd")}
		state := connector.PollState{Watermark: time.Date(2024, 5, 27, 18, 0, 0, 0, time.UTC)}
		req, err := d.BuildPoll(cred, "ticket", "created", nil, state)
		if err != nil {
			t.Fatal(err)
		}
		more := `{"tickets":[{"id":5158,"subject":"Printer on fire","created_at":"2024-05-27T18:44:42Z","updated_at":"2024-05-27T18:44:42Z"}],
			"after_url":"https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=MTU3NjYxMzUzOS4wfHw0NTF8","after_cursor":"MTU3NjYxMzUzOS4wfHw0NTF8","end_of_stream":false}`
		page, err := d.PollRecords("ticket", "created", state, req, connector.Response{StatusCode: 200, Body: []byte(more)})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != 1 || page.Records[0].ID != "5158" || page.Cursor != "MTU3NjYxMzUzOS4wfHw0NTF8" {
			t.Errorf("page = %+v", page)
		}
		if page.Next == nil || page.Next.URL.String() != "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=MTU3NjYxMzUzOS4wfHw0NTF8" {
			t.Fatalf("Next = %v", page.Next)
		}
		state = page.Advance(state)
		last := `{"tickets":[],"after_url":"https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=MTU3NjYxMzUzOS4wfHw0NjB8","after_cursor":"MTU3NjYxMzUzOS4wfHw0NjB8","end_of_stream":true}`
		page, err = d.PollRecords("ticket", "created", state, page.Next, connector.Response{StatusCode: 200, Body: []byte(last)})
		if err != nil {
			t.Fatal(err)
		}
		if page.Next != nil || len(page.Records) != 0 {
			t.Errorf("the end of the stream paged on: %+v", page)
		}
		state = page.Advance(state)
		if state.Cursor != "MTU3NjYxMzUzOS4wfHw0NjB8" || !state.Watermark.Equal(time.Date(2024, 5, 27, 18, 44, 42, 0, time.UTC)) {
			t.Errorf("state = %+v", state)
		}
		next, err := d.BuildPoll(cred, "ticket", "created", nil, state)
		if err != nil {
			t.Fatal(err)
		}
		if next.URL.RawQuery != "cursor=MTU3NjYxMzUzOS4wfHw0NjB8" {
			t.Errorf("next poll = %s", next.URL)
		}
	})
	t.Run("SlackFractionalTS", func(t *testing.T) {
		d := mustDefinition(t, "slack")
		state := connector.PollState{Watermark: time.Unix(1355517000, 0)}
		req, err := d.BuildPoll(connector.Credentials{Auth: "bearer", Secrets: secrets("token", "x")}, "message", "created", map[string]any{"channel": "C1"}, state)
		if err != nil {
			t.Fatal(err)
		}
		body := `{"ok":true,"messages":[{"type":"message","user":"U1","text":"hi","ts":"1355517523.000005"}],"has_more":false}`
		page, err := d.PollRecords("message", "created", state, req, connector.Response{StatusCode: 200, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != 1 || !page.Records[0].Created.Equal(time.Unix(1355517523, 5000)) {
			t.Errorf("records = %+v", page.Records)
		}
	})
	t.Run("Twilio", func(t *testing.T) {
		d := mustDefinition(t, "twilio")
		cred := connector.Credentials{Auth: "auth_token", Fields: map[string]string{"account_sid": "AC1"}, Secrets: secrets("auth_token", "x")}
		state := connector.PollState{Watermark: time.Date(2015, 7, 30, 20, 0, 0, 0, time.UTC)}
		req, err := d.BuildPoll(cred, "message", "received", nil, state)
		if err != nil {
			t.Fatal(err)
		}
		body := `{"messages":[{"sid":"SM1","direction":"inbound","date_created":"Thu, 30 Jul 2015 20:12:31 +0000"},{"sid":"SM0","date_created":"Thu, 30 Jul 2015 08:00:00 +0000"}],"next_page_uri":null}`
		page, err := d.PollRecords("message", "received", state, req, connector.Response{StatusCode: 200, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != 1 || page.Records[0].ID != "SM1" {
			t.Errorf("records = %+v (the morning's message predates the watermark)", page.Records)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		d := mustDefinition(t, "github")
		cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "x")}
		req, _ := d.BuildPoll(cred, "issue", "updated", map[string]any{"owner": "o", "repo": "r"}, connector.PollState{})
		for _, tc := range []struct {
			name string
			resp connector.Response
			code string
		}{
			{"Unauthorized", connector.Response{StatusCode: 401, Body: []byte(`{"message":"Bad credentials"}`)}, junction.ECONNAUTHFAILED},
			{"ServerError", connector.Response{StatusCode: 502}, junction.EPROVIDER},
			{"NotJSON", connector.Response{StatusCode: 200, Body: []byte(`<html>`)}, junction.EPROVIDER},
			{"NotAList", connector.Response{StatusCode: 200, Body: []byte(`{"message":"x"}`)}, junction.EPROVIDER},
			{"NoID", connector.Response{StatusCode: 200, Body: []byte(`[{"number":1,"updated_at":"2024-01-01T00:00:00Z"}]`)}, junction.EPROVIDER},
			{"BadTime", connector.Response{StatusCode: 200, Body: []byte(`[{"id":1,"updated_at":"yesterday"}]`)}, junction.EPROVIDER},
			{"RecordNotObject", connector.Response{StatusCode: 200, Body: []byte(`[1]`)}, junction.EPROVIDER},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := d.PollRecords("issue", "updated", connector.PollState{}, req, tc.resp)
				if !junction.IsCode(err, tc.code) {
					t.Fatalf("got %v, want %s", err, tc.code)
				}
			})
		}
	})
}

func TestClassifyChange(t *testing.T) {
	w := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	before, after, later := w.Add(-time.Hour), w.Add(time.Hour), w.Add(2*time.Hour)
	var zero time.Time
	cases := []struct {
		name             string
		created, updated time.Time
		want             string
	}{
		{"NewUntouched", after, after, "created"},
		{"NewThenEdited", after, later, "created"},
		{"OldEdited", before, after, "updated"},
		{"OldUntouchedSameTimes", before, before, "created"},
		{"OnlyCreated", after, zero, "created"},
		{"OnlyUpdated", zero, after, "updated"},
		{"Neither", zero, zero, ""},
		{"CreatedAtWatermark", w, after, "updated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := connector.ClassifyChange(tc.created, tc.updated, w); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
