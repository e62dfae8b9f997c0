package connector_test

import (
	"testing"

	"junction"
	"junction/connector"
)

// Each case is checked against the vendor's API reference: the request a
// connection test, operation or activity sends, byte for byte.
type contractCase struct {
	name      string
	kind      string // "test", "activity" or "object/operation"
	activity  string
	object    string
	operation string
	input     map[string]any
	want      string
	retrySafe bool
}

func runContract(t *testing.T, key string, cred connector.Credentials, cases []contractCase) {
	t.Helper()
	d := mustDefinition(t, key)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var (
				r   *connector.Request
				err error
			)
			switch tc.kind {
			case "test":
				r, err = d.BuildTest(cred)
			case "activity":
				r, err = d.BuildActivity(cred, tc.activity, tc.input)
			default:
				r, err = d.BuildOperation(cred, tc.object, tc.operation, tc.input)
			}
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			if got := wire(r); got != tc.want {
				t.Errorf("request mismatch\n got:\n%s\nwant:\n%s", got, tc.want)
			}
			if r.RetrySafe != tc.retrySafe {
				t.Errorf("RetrySafe = %v, want %v", r.RetrySafe, tc.retrySafe)
			}
		})
	}
}

func TestContractGitHub(t *testing.T) {
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "ghp_example")}
	const hdr = "\nAccept: application/vnd.github+json\nAuthorization: Bearer ghp_example"
	runContract(t, "github", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true,
			want: "GET https://api.github.com/user" + hdr + "\nX-Github-Api-Version: 2022-11-28"},
		{name: "ListIssues", object: "issue", operation: "list", retrySafe: true,
			input: map[string]any{"owner": "octo-org", "repo": "hello world", "state": "open", "labels": []any{"bug", "ui"}},
			want:  "GET https://api.github.com/repos/octo-org/hello%20world/issues?labels=bug%2Cui&per_page=100&state=open" + hdr + "\nX-Github-Api-Version: 2022-11-28"},
		{name: "CreateIssue", kind: "activity", activity: "create_issue",
			input: map[string]any{"owner": "octo", "repo": "hello", "title": "Found a bug", "body": "It crashes", "labels": []any{"bug"}},
			want: "POST https://api.github.com/repos/octo/hello/issues" + hdr +
				"\nContent-Type: application/json\nX-Github-Api-Version: 2022-11-28\n\n" +
				`{"body":"It crashes","labels":["bug"],"title":"Found a bug"}`},
		{name: "UpdateIssue", object: "issue", operation: "update",
			input: map[string]any{"owner": "octo", "repo": "hello", "issue_number": 42, "state": "closed", "state_reason": "completed"},
			want: "PATCH https://api.github.com/repos/octo/hello/issues/42" + hdr +
				"\nContent-Type: application/json\nX-Github-Api-Version: 2022-11-28\n\n" +
				`{"state":"closed","state_reason":"completed"}`},
		{name: "DispatchWorkflow", kind: "activity", activity: "dispatch_workflow",
			input: map[string]any{"owner": "octo", "repo": "hello", "workflow_id": "ci.yml", "ref": "main", "inputs": map[string]any{"env": "prod"}},
			want: "POST https://api.github.com/repos/octo/hello/actions/workflows/ci.yml/dispatches" + hdr +
				"\nContent-Type: application/json\nX-Github-Api-Version: 2022-11-28\n\n" +
				`{"inputs":{"env":"prod"},"ref":"main"}`},
	})
}

func TestContractSlack(t *testing.T) {
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "xoxb-example")}
	const hdr = "\nAccept: application/json\nAuthorization: Bearer xoxb-example"
	runContract(t, "slack", cred, []contractCase{
		{name: "Test", kind: "test", want: "POST https://slack.com/api/auth.test" + hdr},
		{name: "PostMessage", kind: "activity", activity: "post_message",
			input: map[string]any{"channel": "C0123456", "text": "Deploy finished", "thread_ts": "1712345678.000100"},
			want: "POST https://slack.com/api/chat.postMessage" + hdr +
				"\nContent-Type: application/json; charset=utf-8\n\n" +
				`{"channel":"C0123456","text":"Deploy finished","thread_ts":"1712345678.000100"}`},
		{name: "AddReaction", kind: "activity", activity: "add_reaction", retrySafe: true,
			input: map[string]any{"channel": "C0123456", "timestamp": "1712345678.000100", "name": "thumbsup"},
			want: "POST https://slack.com/api/reactions.add" + hdr +
				"\nContent-Type: application/json; charset=utf-8\n\n" +
				`{"channel":"C0123456","name":"thumbsup","timestamp":"1712345678.000100"}`},
		{name: "ListChannels", object: "conversation", operation: "list", retrySafe: true,
			input: map[string]any{"types": []any{"public_channel", "private_channel"}, "exclude_archived": true},
			want:  "GET https://slack.com/api/conversations.list?exclude_archived=true&limit=200&types=public_channel%2Cprivate_channel" + hdr},
		{name: "LookupByEmail", kind: "activity", activity: "lookup_user_by_email", retrySafe: true,
			input: map[string]any{"email": "ann+ops@example.com"},
			want:  "GET https://slack.com/api/users.lookupByEmail?email=ann%2Bops%40example.com" + hdr},
	})
}

func TestContractJira(t *testing.T) {
	cred := connector.Credentials{Auth: "basic", Fields: map[string]string{"site": "acme", "email": "ann@example.com"}, Secrets: secrets("api_token", "ATATT-example")}
	// base64("ann@example.com:ATATT-example")
	const hdr = "\nAccept: application/json\nAuthorization: Basic YW5uQGV4YW1wbGUuY29tOkFUQVRULWV4YW1wbGU="
	runContract(t, "jira", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET https://acme.atlassian.net/rest/api/3/myself" + hdr},
		{name: "CreateIssue", kind: "activity", activity: "create_issue",
			input: map[string]any{"project_key": "OPS", "summary": "Disk full", "description": "on db-1"},
			want: "POST https://acme.atlassian.net/rest/api/3/issue" + hdr + "\nContent-Type: application/json\n\n" +
				`{"fields":{"description":{"content":[{"content":[{"text":"on db-1","type":"text"}],"type":"paragraph"}],"type":"doc","version":1},"issuetype":{"name":"Task"},"project":{"key":"OPS"},"summary":"Disk full"}}`},
		{name: "CreateIssueWithoutDescription", kind: "activity", activity: "create_issue",
			input: map[string]any{"project_key": "OPS", "summary": "Disk full", "issue_type": "Bug", "labels": []any{"infra"}},
			want: "POST https://acme.atlassian.net/rest/api/3/issue" + hdr + "\nContent-Type: application/json\n\n" +
				`{"fields":{"issuetype":{"name":"Bug"},"labels":["infra"],"project":{"key":"OPS"},"summary":"Disk full"}}`},
		{name: "AddComment", kind: "activity", activity: "add_comment",
			input: map[string]any{"issueIdOrKey": "OPS-7", "text": "Fixed"},
			want: "POST https://acme.atlassian.net/rest/api/3/issue/OPS-7/comment" + hdr + "\nContent-Type: application/json\n\n" +
				`{"body":{"content":[{"content":[{"text":"Fixed","type":"text"}],"type":"paragraph"}],"type":"doc","version":1}}`},
		{name: "Transition", kind: "activity", activity: "transition_issue",
			input: map[string]any{"issueIdOrKey": "OPS-7", "transition_id": "31"},
			want: "POST https://acme.atlassian.net/rest/api/3/issue/OPS-7/transitions" + hdr + "\nContent-Type: application/json\n\n" +
				`{"transition":{"id":"31"}}`},
		{name: "SearchJQL", object: "issue", operation: "list", retrySafe: true,
			input: map[string]any{"jql": "project = OPS ORDER BY updated", "fields": []any{"summary", "status"}},
			want:  "GET https://acme.atlassian.net/rest/api/3/search/jql?fields=summary%2Cstatus&jql=project+%3D+OPS+ORDER+BY+updated&maxResults=100" + hdr},
	})
}

func TestContractStripe(t *testing.T) {
	cred := connector.Credentials{Secrets: secrets("secret_key", "sk_test_example")}
	const hdr = "\nAccept: application/json\nAuthorization: Bearer sk_test_example"
	runContract(t, "stripe", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET https://api.stripe.com/v1/balance" + hdr},
		{name: "CreateCustomer", kind: "activity", activity: "create_customer",
			input: map[string]any{"email": "jenny@example.com", "name": "Jenny Rosen", "metadata": map[string]any{"order_id": "6735"}, "idempotency_key": "k-1"},
			want: "POST https://api.stripe.com/v1/customers" + hdr + "\nContent-Type: application/x-www-form-urlencoded\nIdempotency-Key: k-1\n\n" +
				"email=jenny%40example.com&metadata%5Border_id%5D=6735&name=Jenny+Rosen"},
		{name: "CreatePaymentIntent", kind: "activity", activity: "create_payment_intent",
			input: map[string]any{"amount": 2000, "currency": "usd", "payment_method_types": []any{"card"}, "automatic_payment_methods": map[string]any{"enabled": false}},
			want: "POST https://api.stripe.com/v1/payment_intents" + hdr + "\nContent-Type: application/x-www-form-urlencoded\n\n" +
				"amount=2000&automatic_payment_methods%5Benabled%5D=false&currency=usd&payment_method_types%5B%5D=card"},
		{name: "CheckoutLineItems", kind: "activity", activity: "create_checkout_session",
			input: map[string]any{"mode": "payment", "success_url": "https://example.com/ok", "line_items": []any{map[string]any{"price": "price_1", "quantity": 2}}},
			want: "POST https://api.stripe.com/v1/checkout/sessions" + hdr + "\nContent-Type: application/x-www-form-urlencoded\n\n" +
				"line_items%5B0%5D%5Bprice%5D=price_1&line_items%5B0%5D%5Bquantity%5D=2&mode=payment&success_url=https%3A%2F%2Fexample.com%2Fok"},
		{name: "ListCustomers", object: "customer", operation: "list", retrySafe: true,
			input: map[string]any{"created_gt": 1700000000},
			want:  "GET https://api.stripe.com/v1/customers?created%5Bgt%5D=1700000000&limit=100" + hdr},
		{name: "DeleteCustomer", object: "customer", operation: "delete", retrySafe: true,
			input: map[string]any{"id": "cus_123"},
			want:  "DELETE https://api.stripe.com/v1/customers/cus_123" + hdr},
	})
	t.Run("StripeVersionHeader", func(t *testing.T) {
		c := cred
		c.Fields = map[string]string{"api_version": "2024-06-20"}
		r, err := mustDefinition(t, "stripe").BuildTest(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Header.Get("Stripe-Version"); got != "2024-06-20" {
			t.Errorf("Stripe-Version = %q", got)
		}
		if r.Header.Values("Stripe-Account") != nil {
			t.Errorf("Stripe-Account sent though the field is empty")
		}
	})
}

func TestContractOpenAI(t *testing.T) {
	cred := connector.Credentials{Fields: map[string]string{"organization": "org-abc"}, Secrets: secrets("api_key", "sk-proj-example")}
	const hdr = "\nAccept: application/json\nAuthorization: Bearer sk-proj-example"
	runContract(t, "openai", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET https://api.openai.com/v1/models" + hdr + "\nOpenai-Organization: org-abc"},
		{name: "ChatCompletion", kind: "activity", activity: "create_chat_completion",
			input: map[string]any{"model": "gpt-4.1-mini", "messages": []any{map[string]any{"role": "user", "content": "Hi"}}, "temperature": 0.2},
			want: "POST https://api.openai.com/v1/chat/completions" + hdr + "\nContent-Type: application/json\nOpenai-Organization: org-abc\n\n" +
				`{"messages":[{"content":"Hi","role":"user"}],"model":"gpt-4.1-mini","temperature":0.2}`},
		{name: "Embedding", kind: "activity", activity: "create_embedding", retrySafe: true,
			input: map[string]any{"input": "hello"},
			want: "POST https://api.openai.com/v1/embeddings" + hdr + "\nContent-Type: application/json\nOpenai-Organization: org-abc\n\n" +
				`{"input":"hello","model":"text-embedding-3-small"}`},
	})
}

func TestContractSendGrid(t *testing.T) {
	cred := connector.Credentials{Secrets: secrets("api_key", "SG.example")}
	const hdr = "\nAccept: application/json\nAuthorization: Bearer SG.example"
	runContract(t, "sendgrid", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET https://api.sendgrid.com/v3/scopes" + hdr},
		{name: "SendEmail", kind: "activity", activity: "send_email",
			input: map[string]any{"to": "ann@example.com", "from": "ops@example.com", "from_name": "Ops", "subject": "Hello", "text": "Hi Ann"},
			want: "POST https://api.sendgrid.com/v3/mail/send" + hdr + "\nContent-Type: application/json\n\n" +
				`{"content":[{"type":"text/plain","value":"Hi Ann"}],"from":{"email":"ops@example.com","name":"Ops"},"personalizations":[{"to":[{"email":"ann@example.com"}]}],"subject":"Hello"}`},
		{name: "SendTemplate", kind: "activity", activity: "send_email",
			input: map[string]any{"to": "ann@example.com", "from": "ops@example.com", "template_id": "d-123", "dynamic_template_data": map[string]any{"first": "Ann"}},
			want: "POST https://api.sendgrid.com/v3/mail/send" + hdr + "\nContent-Type: application/json\n\n" +
				`{"from":{"email":"ops@example.com"},"personalizations":[{"dynamic_template_data":{"first":"Ann"},"to":[{"email":"ann@example.com"}]}],"template_id":"d-123"}`},
		{name: "UpsertContacts", kind: "activity", activity: "upsert_contacts", retrySafe: true,
			input: map[string]any{"contacts": []any{map[string]any{"email": "ann@example.com"}}},
			want: "PUT https://api.sendgrid.com/v3/marketing/contacts" + hdr + "\nContent-Type: application/json\n\n" +
				`{"contacts":[{"email":"ann@example.com"}]}`},
	})
	t.Run("EURegion", func(t *testing.T) {
		c := cred
		c.Fields = map[string]string{"api_host": "api.eu.sendgrid.com"}
		r, err := mustDefinition(t, "sendgrid").BuildTest(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.URL.String(); got != "https://api.eu.sendgrid.com/v3/scopes" {
			t.Errorf("URL = %s", got)
		}
	})
}

func TestContractTwilio(t *testing.T) {
	cred := connector.Credentials{Auth: "auth_token", Fields: map[string]string{"account_sid": "AC0123456789abcdef"}, Secrets: secrets("auth_token", "token123")}
	// base64("AC0123456789abcdef:token123")
	const hdr = "\nAccept: application/json\nAuthorization: Basic QUMwMTIzNDU2Nzg5YWJjZGVmOnRva2VuMTIz"
	runContract(t, "twilio", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef.json" + hdr},
		{name: "SendMessage", kind: "activity", activity: "send_message",
			input: map[string]any{"to": "+15558675310", "from": "+15017122661", "body": "Hi there", "media_url": []any{"https://example.com/a.png", "https://example.com/b.png"}},
			want: "POST https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef/Messages.json" + hdr + "\nContent-Type: application/x-www-form-urlencoded\n\n" +
				"Body=Hi+there&From=%2B15017122661&MediaUrl=https%3A%2F%2Fexample.com%2Fa.png&MediaUrl=https%3A%2F%2Fexample.com%2Fb.png&To=%2B15558675310"},
		{name: "ListMessages", object: "message", operation: "list", retrySafe: true,
			input: map[string]any{"to": "+15558675310"},
			want:  "GET https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef/Messages.json?PageSize=1000&To=%2B15558675310" + hdr},
	})
	t.Run("APIKey", func(t *testing.T) {
		c := connector.Credentials{Auth: "api_key", Fields: map[string]string{"account_sid": "AC1", "api_key_sid": "SK1"}, Secrets: secrets("api_key_secret", "s")}
		r, err := mustDefinition(t, "twilio").BuildTest(c)
		if err != nil {
			t.Fatal(err)
		}
		// base64("SK1:s")
		if got := r.Header.Get("Authorization"); got != "Basic U0sxOnM=" {
			t.Errorf("Authorization = %q", got)
		}
	})
}

func TestContractZendesk(t *testing.T) {
	cred := connector.Credentials{Auth: "api_token", Fields: map[string]string{"subdomain": "acme", "email": "ann@example.com"}, Secrets: secrets("api_token", "zd123")}
	// base64("ann@example.com/token:zd123")
	const hdr = "\nAccept: application/json\nAuthorization: Basic YW5uQGV4YW1wbGUuY29tL3Rva2VuOnpkMTIz"
	runContract(t, "zendesk", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET https://acme.zendesk.com/api/v2/users/me" + hdr},
		{name: "CreateTicket", kind: "activity", activity: "create_ticket",
			input: map[string]any{"subject": "Printer on fire", "comment": "Smoke everywhere", "priority": "urgent", "requester_email": "bob@example.com"},
			want: "POST https://acme.zendesk.com/api/v2/tickets" + hdr + "\nContent-Type: application/json\n\n" +
				`{"ticket":{"comment":{"body":"Smoke everywhere"},"priority":"urgent","requester":{"email":"bob@example.com"},"subject":"Printer on fire"}}`},
		{name: "AddComment", kind: "activity", activity: "add_comment",
			input: map[string]any{"ticket_id": 35436, "body": "Thanks!", "public": false},
			want: "PUT https://acme.zendesk.com/api/v2/tickets/35436" + hdr + "\nContent-Type: application/json\n\n" +
				`{"ticket":{"comment":{"body":"Thanks!","public":false}}}`},
		{name: "ListTickets", object: "ticket", operation: "list", retrySafe: true,
			want: "GET https://acme.zendesk.com/api/v2/tickets?page%5Bsize%5D=100" + hdr},
	})
	t.Run("OAuth", func(t *testing.T) {
		c := connector.Credentials{Auth: "oauth2_authorization_code", Fields: map[string]string{"subdomain": "acme", "client_id": "junction"},
			Secrets: secrets("client_secret", "cs"), AccessToken: junction.NewSecret("at-1")}
		r, err := mustDefinition(t, "zendesk").BuildTest(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer at-1" {
			t.Errorf("Authorization = %q", got)
		}
	})
}

func TestContractTodoist(t *testing.T) {
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "0123456789abcdef")}
	const hdr = "\nAccept: application/json\nAuthorization: Bearer 0123456789abcdef"
	runContract(t, "todoist", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET https://api.todoist.com/rest/v2/projects" + hdr},
		{name: "CreateTask", kind: "activity", activity: "create_task",
			input: map[string]any{"content": "Buy Milk", "due_string": "tomorrow at 12:00", "priority": 4, "labels": []any{"errand"}},
			want: "POST https://api.todoist.com/rest/v2/tasks" + hdr + "\nContent-Type: application/json\n\n" +
				`{"content":"Buy Milk","due_string":"tomorrow at 12:00","labels":["errand"],"priority":4}`},
		{name: "CloseTask", kind: "activity", activity: "close_task", retrySafe: true,
			input: map[string]any{"task_id": "2995104339"},
			want:  "POST https://api.todoist.com/rest/v2/tasks/2995104339/close" + hdr},
		{name: "ListTasks", object: "task", operation: "list", retrySafe: true,
			input: map[string]any{"project_id": "2203306141"},
			want:  "GET https://api.todoist.com/rest/v2/tasks?project_id=2203306141" + hdr},
	})
}

func TestContractPagerDuty(t *testing.T) {
	cred := connector.Credentials{Secrets: secrets("api_key", "y_NbAkKc66ryYTWUXYEu")}
	const hdr = "\nAccept: application/vnd.pagerduty+json;version=2\nAuthorization: Token token=y_NbAkKc66ryYTWUXYEu"
	runContract(t, "pagerduty", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET https://api.pagerduty.com/abilities" + hdr},
		{name: "CreateIncident", kind: "activity", activity: "create_incident",
			input: map[string]any{"from": "ann@example.com", "title": "Disk full", "service_id": "PWIXJZS", "urgency": "high"},
			want: "POST https://api.pagerduty.com/incidents" + hdr + "\nContent-Type: application/json\nFrom: ann@example.com\n\n" +
				`{"incident":{"service":{"id":"PWIXJZS","type":"service_reference"},"title":"Disk full","type":"incident","urgency":"high"}}`},
		{name: "ResolveIncident", kind: "activity", activity: "resolve_incident", retrySafe: true,
			input: map[string]any{"id": "PT4KHLK", "from": "ann@example.com"},
			want: "PUT https://api.pagerduty.com/incidents/PT4KHLK" + hdr + "\nContent-Type: application/json\nFrom: ann@example.com\n\n" +
				`{"incident":{"status":"resolved","type":"incident_reference"}}`},
		{name: "ListIncidents", object: "incident", operation: "list", retrySafe: true,
			input: map[string]any{"statuses": []any{"triggered", "acknowledged"}},
			want:  "GET https://api.pagerduty.com/incidents?limit=100&statuses%5B%5D=triggered&statuses%5B%5D=acknowledged" + hdr},
	})
}

func TestContractHTTP(t *testing.T) {
	d := mustDefinition(t, "http")
	base := map[string]string{"base_url": "https://api.example.com/v2"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	in := connector.HTTPRequestInput{Method: "POST", Path: "/items", Query: map[string]any{"dry_run": true}, Body: map[string]any{"name": "x"}}
	cases := []struct {
		name string
		cred connector.Credentials
		want string
	}{
		{"None", connector.Credentials{Auth: "none", Fields: base},
			"POST https://api.example.com/v2/items?dry_run=true\nAccept: application/json\nContent-Type: application/json\n\n{\"name\":\"x\"}"},
		{"Basic", connector.Credentials{Auth: "basic", Fields: with(map[string]string{"username": "u"}), Secrets: secrets("password", "p")},
			"POST https://api.example.com/v2/items?dry_run=true\nAccept: application/json\nAuthorization: Basic dTpw\nContent-Type: application/json\n\n{\"name\":\"x\"}"},
		{"APIKeyHeaderDefault", connector.Credentials{Auth: "api_key", Fields: base, Secrets: secrets("api_key", "k1")},
			"POST https://api.example.com/v2/items?dry_run=true\nAccept: application/json\nContent-Type: application/json\nX-Api-Key: k1\n\n{\"name\":\"x\"}"},
		{"APIKeyQuery", connector.Credentials{Auth: "api_key", Fields: with(map[string]string{"api_key_in": "query", "api_key_name": "key"}), Secrets: secrets("api_key", "k1")},
			"POST https://api.example.com/v2/items?dry_run=true&key=k1\nAccept: application/json\nContent-Type: application/json\n\n{\"name\":\"x\"}"},
		{"Bearer", connector.Credentials{Auth: "bearer", Fields: base, Secrets: secrets("token", "t1")},
			"POST https://api.example.com/v2/items?dry_run=true\nAccept: application/json\nAuthorization: Bearer t1\nContent-Type: application/json\n\n{\"name\":\"x\"}"},
		{"OAuthClientCredentials", connector.Credentials{Auth: "oauth2_client_credentials", Fields: with(map[string]string{"token_url": "https://id.example.com/token", "client_id": "c"}), Secrets: secrets("client_secret", "s"), AccessToken: junction.NewSecret("at")},
			"POST https://api.example.com/v2/items?dry_run=true\nAccept: application/json\nAuthorization: Bearer at\nContent-Type: application/json\n\n{\"name\":\"x\"}"},
		{"Custom", connector.Credentials{Auth: "custom", Fields: with(map[string]string{"header_name": "X-Auth-Token"}), Secrets: secrets("header_value", "h1")},
			"POST https://api.example.com/v2/items?dry_run=true\nAccept: application/json\nContent-Type: application/json\nX-Auth-Token: h1\n\n{\"name\":\"x\"}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := d.BuildHTTPRequest(tc.cred, in)
			if err != nil {
				t.Fatal(err)
			}
			if got := wire(r); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}
