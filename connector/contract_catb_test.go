package connector_test

import (
	"testing"

	"junction/connector"
)

// Contract cases for amazon-ses, salesforce, hubspot-crm and the others of
// this file. Where the vendor's description is in the shared spec corpus, a
// test checks each request against it; otherwise the reference page is
// named above the case.

// Amazon SES API v2 reference, https://docs.aws.amazon.com/ses/latest/APIReference-V2/
// (SendEmail, SendBulkEmail, GetAccount, ListEmailIdentities,
// CreateEmailTemplate, CreateContact, ListSuppressedDestinations). The
// signature is added per attempt and is checked in awssigv4_test.go; the
// built request carries none.
func TestContractAmazonSES(t *testing.T) {
	cred := connector.Credentials{Fields: map[string]string{"region": "eu-west-1", "access_key_id": "AKIAIOSFODNN7EXAMPLE"},
		Secrets: secrets("secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")}
	const base = "https://email.eu-west-1.amazonaws.com/v2/email"
	const hdr = "\nAccept: application/json"
	const js = hdr + "\nContent-Type: application/json\n\n"
	runContract(t, "amazon-ses", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/account" + hdr},
		{name: "SendSimple", kind: "activity", activity: "send_email",
			input: map[string]any{"from": "Ops <ops@example.com>", "to": []any{"ann@example.com"}, "cc": []any{"bob@example.com"},
				"subject": "Deploy done", "text": "All green", "html": "<p>All green</p>", "configuration_set": "tracking"},
			want: "POST " + base + "/outbound-emails" + js +
				`{"ConfigurationSetName":"tracking","Content":{"Simple":{"Body":{"Html":{"Data":"\u003cp\u003eAll green\u003c/p\u003e"},"Text":{"Data":"All green"}},"Subject":{"Data":"Deploy done"}}},"Destination":{"CcAddresses":["bob@example.com"],"ToAddresses":["ann@example.com"]},"FromEmailAddress":"Ops \u003cops@example.com\u003e"}`},
		{name: "SendTemplate", kind: "activity", activity: "send_email",
			input: map[string]any{"from": "ops@example.com", "to": []any{"ann@example.com"}, "template_name": "welcome", "template_data": `{"name":"Ann"}`,
				"tags": []any{map[string]any{"Name": "campaign", "Value": "spring"}}},
			want: "POST " + base + "/outbound-emails" + js +
				`{"Content":{"Template":{"TemplateData":"{\"name\":\"Ann\"}","TemplateName":"welcome"}},"Destination":{"ToAddresses":["ann@example.com"]},"EmailTags":[{"Name":"campaign","Value":"spring"}],"FromEmailAddress":"ops@example.com"}`},
		{name: "SendBulk", kind: "activity", activity: "send_bulk_email",
			input: map[string]any{"from": "ops@example.com", "template_name": "welcome", "default_template_data": `{}`,
				"entries": []any{map[string]any{"Destination": map[string]any{"ToAddresses": []any{"ann@example.com"}}}}},
			want: "POST " + base + "/outbound-bulk-emails" + js +
				`{"BulkEmailEntries":[{"Destination":{"ToAddresses":["ann@example.com"]}}],"DefaultContent":{"Template":{"TemplateData":"{}","TemplateName":"welcome"}},"FromEmailAddress":"ops@example.com"}`},
		{name: "GetAccount", kind: "activity", activity: "get_account", retrySafe: true, want: "GET " + base + "/account" + hdr},
		{name: "ListIdentities", object: "email_identity", operation: "list", retrySafe: true,
			want: "GET " + base + "/identities?PageSize=1000" + hdr},
		{name: "CreateIdentity", object: "email_identity", operation: "create",
			input: map[string]any{"EmailIdentity": "example.com"},
			want:  "POST " + base + "/identities" + js + `{"EmailIdentity":"example.com"}`},
		{name: "DeleteIdentity", object: "email_identity", operation: "delete", retrySafe: true,
			input: map[string]any{"EmailIdentity": "ops@example.com"},
			want:  "DELETE " + base + "/identities/ops@example.com" + hdr},
		{name: "CreateTemplate", object: "email_template", operation: "create",
			input: map[string]any{"TemplateName": "welcome", "subject": "Hi {{name}}", "html": "<b>Hi</b>"},
			want: "POST " + base + "/templates" + js +
				`{"TemplateContent":{"Html":"\u003cb\u003eHi\u003c/b\u003e","Subject":"Hi {{name}}"},"TemplateName":"welcome"}`},
		{name: "UpdateTemplate", object: "email_template", operation: "update", retrySafe: true,
			input: map[string]any{"TemplateName": "welcome", "subject": "Hello", "text": "Hello"},
			want:  "PUT " + base + "/templates/welcome" + js + `{"TemplateContent":{"Subject":"Hello","Text":"Hello"}}`},
		{name: "CreateContact", object: "contact", operation: "create",
			input: map[string]any{"ContactListName": "newsletter", "EmailAddress": "ann@example.com",
				"TopicPreferences": []any{map[string]any{"TopicName": "news", "SubscriptionStatus": "OPT_IN"}}},
			want: "POST " + base + "/contact-lists/newsletter/contacts" + js +
				`{"EmailAddress":"ann@example.com","TopicPreferences":[{"SubscriptionStatus":"OPT_IN","TopicName":"news"}]}`},
		{name: "UpdateContact", object: "contact", operation: "update", retrySafe: true,
			input: map[string]any{"ContactListName": "newsletter", "EmailAddress": "ann+x@example.com", "UnsubscribeAll": true},
			want:  "PUT " + base + "/contact-lists/newsletter/contacts/ann+x@example.com" + js + `{"UnsubscribeAll":true}`},
		{name: "ListContacts", object: "contact", operation: "list", retrySafe: true,
			input: map[string]any{"ContactListName": "newsletter"},
			want:  "GET " + base + "/contact-lists/newsletter/contacts?PageSize=1000" + hdr},
		{name: "Suppress", object: "suppressed_destination", operation: "create", retrySafe: true,
			input: map[string]any{"EmailAddress": "bounce@example.com", "Reason": "BOUNCE"},
			want:  "PUT " + base + "/suppression/addresses" + js + `{"EmailAddress":"bounce@example.com","Reason":"BOUNCE"}`},
		{name: "ListSuppressed", object: "suppressed_destination", operation: "list", retrySafe: true,
			input: map[string]any{"Reason": []any{"BOUNCE", "COMPLAINT"}, "StartDate": "2026-03-01T00:00:00Z"},
			want:  "GET " + base + "/suppression/addresses?PageSize=1000&Reason=BOUNCE&Reason=COMPLAINT&StartDate=2026-03-01T00%3A00%3A00Z" + hdr},
	})
}
