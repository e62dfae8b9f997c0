package connector_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"junction"
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

// Salesforce REST API Developer Guide,
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/:
// resources_limits.htm (test), resources_query.htm (query, nextRecordsUrl),
// resources_search.htm, resources_sobject_basic_info.htm (create),
// resources_sobject_retrieve.htm (get, update, delete),
// resources_sobject_upsert.htm, resources_sobject_describe.htm,
// dome_sobject_insert_update_blob.htm (ContentVersion upload).
func TestContractSalesforce(t *testing.T) {
	cred := connector.Credentials{Auth: "oauth2_authorization_code",
		Fields:      map[string]string{"instance_host": "acme.my.salesforce.com", "client_id": "3MVG9example"},
		Secrets:     secrets("client_secret", "cs"),
		AccessToken: junction.NewSecret("00Dxx0000001gPL!AR8AQexample")}
	const base = "https://acme.my.salesforce.com/services/data/v62.0"
	const hdr = "\nAccept: application/json\nAuthorization: Bearer 00Dxx0000001gPL!AR8AQexample"
	const js = hdr + "\nContent-Type: application/json\n\n"
	runContract(t, "salesforce", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/limits" + hdr},
		{name: "Query", kind: "activity", activity: "query", retrySafe: true,
			input: map[string]any{"q": "SELECT Id, Name FROM Account WHERE Industry = 'Energy'"},
			want:  "GET " + base + "/query?q=SELECT+Id%2C+Name+FROM+Account+WHERE+Industry+%3D+%27Energy%27" + hdr},
		{name: "Search", kind: "activity", activity: "search", retrySafe: true,
			input: map[string]any{"q": "FIND {Acme} RETURNING Account(Id)"},
			want:  "GET " + base + "/search?q=FIND+%7BAcme%7D+RETURNING+Account%28Id%29" + hdr},
		{name: "CreateRecord", kind: "activity", activity: "create_record",
			input: map[string]any{"sobject": "Invoice__c", "record": map[string]any{"Amount__c": 120.5}},
			want:  "POST " + base + "/sobjects/Invoice__c" + js + `{"Amount__c":120.5}`},
		{name: "Upsert", kind: "activity", activity: "upsert_record", retrySafe: true,
			input: map[string]any{"sobject": "Account", "external_id_field": "Customer_Number__c", "external_id": "C-42", "record": map[string]any{"Name": "Acme"}},
			want:  "PATCH " + base + "/sobjects/Account/Customer_Number__c/C-42" + js + `{"Name":"Acme"}`},
		{name: "Describe", kind: "activity", activity: "describe_object", retrySafe: true,
			input: map[string]any{"sobject": "Lead"},
			want:  "GET " + base + "/sobjects/Lead/describe" + hdr},
		{name: "UploadFile", kind: "activity", activity: "upload_file",
			input: map[string]any{"title": "Q1", "path_on_client": "q1.pdf", "content_base64": "JVBERi0=", "first_publish_location_id": "001xx000003DGb2"},
			want: "POST " + base + "/sobjects/ContentVersion" + js +
				`{"FirstPublishLocationId":"001xx000003DGb2","PathOnClient":"q1.pdf","Title":"Q1","VersionData":"JVBERi0="}`},
		{name: "AddTask", kind: "activity", activity: "add_task",
			input: map[string]any{"subject": "Call", "what_id": "006xx0000012345", "activity_date": "2026-03-02"},
			want:  "POST " + base + "/sobjects/Task" + js + `{"ActivityDate":"2026-03-02","Subject":"Call","WhatId":"006xx0000012345"}`},
		{name: "ListAccounts", object: "account", operation: "list", retrySafe: true,
			want: "GET " + base + "/query?q=SELECT+Id%2C+Name%2C+Type%2C+Industry%2C+Website%2C+Phone%2C+OwnerId%2C+CreatedDate%2C+LastModifiedDate+FROM+Account+ORDER+BY+LastModifiedDate+ASC" + hdr},
		{name: "GetContact", object: "contact", operation: "get", retrySafe: true,
			input: map[string]any{"id": "003xx000004TmiQ", "fields": []any{"Email", "Phone"}},
			want:  "GET " + base + "/sobjects/Contact/003xx000004TmiQ?fields=Email%2CPhone" + hdr},
		{name: "CreateLead", object: "lead", operation: "create",
			input: map[string]any{"record": map[string]any{"LastName": "Rosen", "Company": "Acme"}},
			want:  "POST " + base + "/sobjects/Lead" + js + `{"Company":"Acme","LastName":"Rosen"}`},
		{name: "UpdateOpportunity", object: "opportunity", operation: "update", retrySafe: true,
			input: map[string]any{"id": "006xx0000012345", "record": map[string]any{"StageName": "Closed Won"}},
			want:  "PATCH " + base + "/sobjects/Opportunity/006xx0000012345" + js + `{"StageName":"Closed Won"}`},
		{name: "DeleteCase", object: "case", operation: "delete", retrySafe: true,
			input: map[string]any{"id": "500xx000000bZ1A"},
			want:  "DELETE " + base + "/sobjects/Case/500xx000000bZ1A" + hdr},
	})
	t.Run("ClientCredentials", func(t *testing.T) {
		c := cred
		c.Auth = "oauth2_client_credentials"
		c.Fields = map[string]string{"instance_host": "acme--uat.sandbox.my.salesforce.com", "client_id": "3MVG9", "api_version": "61.0"}
		r, err := mustDefinition(t, "salesforce").BuildTest(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.URL.String(); got != "https://acme--uat.sandbox.my.salesforce.com/services/data/v61.0/limits" {
			t.Errorf("URL = %s", got)
		}
	})
	t.Run("PollAndNextPage", func(t *testing.T) {
		d, state, r := pollFrom(t, "salesforce", cred, "opportunity", "updated", time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
		q := r.URL.Query().Get("q")
		if !strings.Contains(q, "FROM Opportunity WHERE LastModifiedDate > 2026-03-01T09:58:00Z ORDER BY LastModifiedDate ASC") {
			t.Errorf("q = %s", q)
		}
		body := `{"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01gxx-2000","records":[
			{"Id":"006A","CreatedDate":"2026-02-01T08:00:00.000+0000","LastModifiedDate":"2026-03-01T10:05:00.000+0000"},
			{"Id":"006B","CreatedDate":"2026-03-01T10:06:00.000+0000","LastModifiedDate":"2026-03-01T10:06:00.000+0000"}]}`
		page, err := d.PollRecords("opportunity", "updated", state, r, connector.Response{StatusCode: 200, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != 1 || page.Records[0].ID != "006A" {
			t.Errorf("updated records = %+v", page.Records)
		}
		if !page.Watermark.Equal(time.Date(2026, 3, 1, 10, 6, 0, 0, time.UTC)) {
			t.Errorf("watermark = %s", page.Watermark)
		}
		if page.Next == nil || page.Next.URL.String() != base+"/query/01gxx-2000" {
			t.Fatalf("next page = %v", page.Next)
		}
	})
}

func TestContractAmazonSESPoll(t *testing.T) {
	d := mustDefinition(t, "amazon-ses")
	cred := connector.Credentials{Fields: map[string]string{"region": "us-east-1", "access_key_id": "AKIA"}, Secrets: secrets("secret_access_key", "s")}
	state := connector.PollState{Watermark: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	r, err := d.BuildPoll(cred, "suppressed_destination", "created", nil, state)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.URL.String(); got != "https://email.us-east-1.amazonaws.com/v2/email/suppression/addresses?PageSize=1000&StartDate=2026-03-01T09%3A55%3A00Z" {
		t.Errorf("poll URL = %s", got)
	}
	if r.Signer() == nil {
		t.Errorf("a poll request is not signed")
	}
	body := `{"SuppressedDestinationSummaries":[{"EmailAddress":"gone@example.com","Reason":"BOUNCE","LastUpdateTime":1772359500.123}],"NextToken":"tok2"}`
	page, err := d.PollRecords("suppressed_destination", "created", state, r, connector.Response{StatusCode: 200, Body: []byte(body)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 1 || page.Records[0].ID != "gone@example.com" {
		t.Fatalf("records = %+v", page.Records)
	}
	if page.Next == nil || page.Next.URL.Query().Get("NextToken") != "tok2" || page.Next.Signer() == nil {
		t.Errorf("next page = %v", page.Next)
	}
}

// HubSpot CRM: the contacts requests are checked against HubSpot's own
// description (TestSpecHubSpotCRM); the others against
// https://developers.hubspot.com/docs/api/crm/ (objects, search,
// associations v4, notes, owners) and
// https://developers.hubspot.com/docs/api/settings/account-information-api.
func TestContractHubSpotCRM(t *testing.T) {
	cred := connector.Credentials{Auth: "private_app", Secrets: secrets("access_token", "pat-na1-example")}
	const base = "https://api.hubapi.com"
	const hdr = "\nAccept: application/json\nAuthorization: Bearer pat-na1-example"
	const js = hdr + "\nContent-Type: application/json\n\n"
	runContract(t, "hubspot-crm", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/account-info/v3/details" + hdr},
		{name: "ListContacts", object: "contact", operation: "list", retrySafe: true,
			input: map[string]any{"properties": []any{"email", "firstname"}},
			want:  "GET " + base + "/crm/v3/objects/contacts?limit=100&properties=email%2Cfirstname" + hdr},
		{name: "GetCompany", object: "company", operation: "get", retrySafe: true,
			input: map[string]any{"companyId": "9876", "associations": []any{"contacts"}},
			want:  "GET " + base + "/crm/v3/objects/companies/9876?associations=contacts" + hdr},
		{name: "CreateDeal", object: "deal", operation: "create",
			input: map[string]any{"properties": map[string]any{"dealname": "Acme renewal", "amount": "1200", "dealstage": "appointmentscheduled"}},
			want:  "POST " + base + "/crm/v3/objects/deals" + js + `{"properties":{"amount":"1200","dealname":"Acme renewal","dealstage":"appointmentscheduled"}}`},
		{name: "UpdateTicket", object: "ticket", operation: "update", retrySafe: true,
			input: map[string]any{"ticketId": "55", "properties": map[string]any{"hs_pipeline_stage": "4"}},
			want:  "PATCH " + base + "/crm/v3/objects/tickets/55" + js + `{"properties":{"hs_pipeline_stage":"4"}}`},
		{name: "ArchiveContact", object: "contact", operation: "delete", retrySafe: true,
			input: map[string]any{"contactId": "101"},
			want:  "DELETE " + base + "/crm/v3/objects/contacts/101" + hdr},
		{name: "FindByEmail", kind: "activity", activity: "find_contact_by_email", retrySafe: true,
			input: map[string]any{"email": "ann@example.com"},
			want:  "GET " + base + "/crm/v3/objects/contacts/ann@example.com?idProperty=email" + hdr},
		{name: "UpsertContact", kind: "activity", activity: "upsert_contact", retrySafe: true,
			input: map[string]any{"email": "ann@example.com", "properties": map[string]any{"firstname": "Ann"}},
			want:  "POST " + base + "/crm/v3/objects/contacts/batch/upsert" + js + `{"inputs":[{"id":"ann@example.com","idProperty":"email","properties":{"firstname":"Ann"}}]}`},
		{name: "Search", kind: "activity", activity: "search", retrySafe: true,
			input: map[string]any{"object_type": "deals", "filterGroups": []any{map[string]any{"filters": []any{map[string]any{"propertyName": "amount", "operator": "GT", "value": "1000"}}}}},
			want:  "POST " + base + "/crm/v3/objects/deals/search" + js + `{"filterGroups":[{"filters":[{"operator":"GT","propertyName":"amount","value":"1000"}]}],"limit":100}`},
		{name: "Associate", kind: "activity", activity: "associate", retrySafe: true,
			input: map[string]any{"from_object_type": "contacts", "from_object_id": "101", "to_object_type": "companies", "to_object_id": "9876"},
			want:  "PUT " + base + "/crm/v4/objects/contacts/101/associations/default/companies/9876" + hdr},
		{name: "AddNote", kind: "activity", activity: "add_note",
			input: map[string]any{"body": "Called, left a message", "timestamp": "2026-03-01T10:00:00Z", "record_id": "101", "association_type_id": 202},
			want: "POST " + base + "/crm/v3/objects/notes" + js +
				`{"associations":[{"to":{"id":"101"},"types":[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":202}]}],"properties":{"hs_note_body":"Called, left a message","hs_timestamp":"2026-03-01T10:00:00Z"}}`},
		{name: "ListOwners", kind: "activity", activity: "list_owners", retrySafe: true,
			input: map[string]any{"email": "rep@example.com"},
			want:  "GET " + base + "/crm/v3/owners?email=rep%40example.com&limit=100" + hdr},
	})
	t.Run("Poll", func(t *testing.T) {
		d, state, r := pollFrom(t, "hubspot-crm", cred, "contact", "updated", time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
		const want = `{"filterGroups":[{"filters":[{"operator":"GTE","propertyName":"lastmodifieddate","value":"1772359080000"}]}],"limit":100,"sorts":[{"direction":"ASCENDING","propertyName":"lastmodifieddate"}]}`
		if got := r.URL.String() + " " + string(r.Body); got != base+"/crm/v3/objects/contacts/search "+want {
			t.Errorf("poll request\n got %s\nwant %s", got, want)
		}
		body := `{"total":2,"results":[{"id":"101","properties":{"email":"ann@example.com"},"createdAt":"2026-03-01T10:01:00Z","updatedAt":"2026-03-01T10:01:00Z"}],"paging":{"next":{"after":"100"}}}`
		page, err := d.PollRecords("contact", "updated", state, r, connector.Response{StatusCode: 200, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != 0 {
			t.Errorf("a new contact reported as updated: %+v", page.Records)
		}
		if page.Next == nil || !strings.Contains(string(page.Next.Body), `"after":"100"`) {
			t.Errorf("next page = %v", page.Next)
		}
		// The first poll, without a watermark, starts from the beginning.
		r, err = d.BuildPoll(cred, "deal", "created", nil, connector.PollState{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(r.Body), `"propertyName":"hs_lastmodifieddate","value":"0"`) {
			t.Errorf("first poll body = %s", r.Body)
		}
	})
}

func TestSpecHubSpotCRM(t *testing.T) {
	checkSpecB(t, "hubspot-crm", "hubspot-crm-contacts.json", "",
		"company/list", "company/get", "company/create", "company/update", "company/delete",
		"deal/list", "deal/get", "deal/create", "deal/update", "deal/delete",
		"ticket/list", "ticket/get", "ticket/create", "ticket/update", "ticket/delete",
		"search_changed", "search", "associate", "add_note", "list_owners")
}

// ServiceNow: every request is checked against the Table, Aggregate and
// Import Set description in the corpus (TestSpecServiceNow); the pages are
// https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_TableAPI.
func TestContractServiceNow(t *testing.T) {
	cred := connector.Credentials{Auth: "basic", Fields: map[string]string{"instance": "acme", "username": "junction.int"}, Secrets: secrets("password", "pw")}
	const base = "https://acme.service-now.com/api/now"
	// base64("junction.int:pw")
	const hdr = "\nAccept: application/json\nAuthorization: Basic anVuY3Rpb24uaW50OnB3"
	const js = hdr + "\nContent-Type: application/json\n\n"
	runContract(t, "servicenow", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true,
			want: "GET " + base + "/table/sys_user?sysparm_fields=sys_id%2Cuser_name&sysparm_limit=1&sysparm_query=sys_id%3Djavascript%3Ags.getUserID%28%29" + hdr},
		{name: "ListIncidents", object: "incident", operation: "list", retrySafe: true,
			input: map[string]any{"sysparm_query": "active=true^priority=1", "sysparm_fields": []any{"sys_id", "number"}},
			want:  "GET " + base + "/table/incident?sysparm_exclude_reference_link=true&sysparm_fields=sys_id%2Cnumber&sysparm_limit=1000&sysparm_query=active%3Dtrue%5Epriority%3D1" + hdr},
		{name: "CreateChange", object: "change_request", operation: "create",
			input: map[string]any{"record": map[string]any{"short_description": "Patch db-1", "type": "standard"}, "sysparm_input_display_value": true},
			want:  "POST " + base + "/table/change_request?sysparm_input_display_value=true" + js + `{"short_description":"Patch db-1","type":"standard"}`},
		{name: "UpdateUser", object: "user", operation: "update", retrySafe: true,
			input: map[string]any{"sys_id": "6816f79cc0a8016401c5a33be04be441", "record": map[string]any{"active": "false"}},
			want:  "PATCH " + base + "/table/sys_user/6816f79cc0a8016401c5a33be04be441" + js + `{"active":"false"}`},
		{name: "CreateIncident", kind: "activity", activity: "create_incident",
			input: map[string]any{"short_description": "Email down", "urgency": "1", "impact": "2", "assignment_group": "Service Desk", "sysparm_input_display_value": true},
			want:  "POST " + base + "/table/incident?sysparm_input_display_value=true" + js + `{"assignment_group":"Service Desk","impact":"2","short_description":"Email down","urgency":"1"}`},
		{name: "WorkNote", kind: "activity", activity: "add_work_note",
			input: map[string]any{"table": "incident", "sys_id": "abc123", "work_note": "Restarted the relay"},
			want:  "PATCH " + base + "/table/incident/abc123" + js + `{"work_notes":"Restarted the relay"}`},
		{name: "Resolve", kind: "activity", activity: "resolve_incident", retrySafe: true,
			input: map[string]any{"sys_id": "abc123", "close_code": "Solution provided", "close_notes": "Relay restarted"},
			want:  "PATCH " + base + "/table/incident/abc123" + js + `{"close_code":"Solution provided","close_notes":"Relay restarted","state":"6"}`},
		{name: "Aggregate", kind: "activity", activity: "aggregate", retrySafe: true,
			input: map[string]any{"tableName": "incident", "sysparm_query": "active=true", "sysparm_group_by": []any{"priority"}},
			want:  "GET " + base + "/stats/incident?sysparm_count=true&sysparm_group_by=priority&sysparm_query=active%3Dtrue" + hdr},
		{name: "Import", kind: "activity", activity: "import_record",
			input: map[string]any{"stagingTableName": "u_imp_assets", "row": map[string]any{"u_serial": "SN1"}},
			want:  "POST " + base + "/import/u_imp_assets" + js + `{"u_serial":"SN1"}`},
	})
	t.Run("APIKey", func(t *testing.T) {
		c := connector.Credentials{Auth: "api_key", Fields: map[string]string{"instance": "acme"}, Secrets: secrets("api_key", "now_key")}
		r, err := mustDefinition(t, "servicenow").BuildTest(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Header.Get("X-Sn-Apikey"); got != "now_key" {
			t.Errorf("x-sn-apikey = %q", got)
		}
	})
	t.Run("Poll", func(t *testing.T) {
		c := cred
		c.Fields = map[string]string{"instance": "acme", "username": "junction.int", "time_zone": "Europe/Paris"}
		d, state, r := pollFrom(t, "servicenow", c, "incident", "updated", time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
		q := r.URL.Query()
		if got := q.Get("sysparm_query"); got != "sys_updated_on>=javascript:gs.dateGenerate('2026-03-01','10:58:00')^ORDERBYsys_updated_on" {
			t.Errorf("sysparm_query = %s", got)
		}
		if q.Get("sysparm_display_value") != "false" {
			t.Errorf("display values asked for: %s", r.URL)
		}
		body := `{"result":[{"sys_id":"a1","sys_created_on":"2026-02-01 08:00:00","sys_updated_on":"2026-03-01 10:03:00"}]}`
		page, err := d.PollRecords("incident", "updated", state, r, connector.Response{StatusCode: 200, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != 1 || !page.Watermark.Equal(time.Date(2026, 3, 1, 10, 3, 0, 0, time.UTC)) {
			t.Errorf("records %+v, watermark %s", page.Records, page.Watermark)
		}
	})
}

func TestSpecServiceNow(t *testing.T) {
	checkSpecB(t, "servicenow", "servicenow.yaml", "")
}

// Okta: every request is checked against Okta's Management API description
// (TestSpecOkta); the pages are under
// https://developer.okta.com/docs/api/openapi/okta-management/management/.
func TestContractOkta(t *testing.T) {
	cred := connector.Credentials{Auth: "api_token", Fields: map[string]string{"okta_domain": "acme.okta.com"}, Secrets: secrets("api_token", "00QCjAl4MlV-WPXM")}
	const base = "https://acme.okta.com/api/v1"
	const hdr = "\nAccept: application/json\nAuthorization: SSWS 00QCjAl4MlV-WPXM"
	const js = hdr + "\nContent-Type: application/json\n\n"
	runContract(t, "okta", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/users/me" + hdr},
		{name: "SearchUsers", object: "user", operation: "list", retrySafe: true,
			input: map[string]any{"search": `profile.department eq "Sales"`},
			want:  "GET " + base + "/users?limit=200&search=profile.department+eq+%22Sales%22" + hdr},
		{name: "CreateUser", object: "user", operation: "create",
			input: map[string]any{"profile": map[string]any{"login": "ann@example.com", "email": "ann@example.com", "firstName": "Ann", "lastName": "Lee"}, "groupIds": []any{"00g1"}},
			want: "POST " + base + "/users?activate=true" + js +
				`{"groupIds":["00g1"],"profile":{"email":"ann@example.com","firstName":"Ann","lastName":"Lee","login":"ann@example.com"}}`},
		{name: "UpdateUser", object: "user", operation: "update", retrySafe: true,
			input: map[string]any{"id": "00u1", "profile": map[string]any{"title": "Lead"}},
			want:  "POST " + base + "/users/00u1" + js + `{"profile":{"title":"Lead"}}`},
		{name: "CreateGroup", object: "group", operation: "create",
			input: map[string]any{"name": "Sales"},
			want:  "POST " + base + "/groups" + js + `{"profile":{"name":"Sales"}}`},
		{name: "ListApps", object: "app", operation: "list", retrySafe: true,
			input: map[string]any{"filter": `status eq "ACTIVE"`},
			want:  "GET " + base + "/apps?filter=status+eq+%22ACTIVE%22&limit=200" + hdr},
		{name: "Logs", object: "log_event", operation: "list", retrySafe: true,
			input: map[string]any{"filter": `eventType eq "user.session.start"`},
			want:  "GET " + base + "/logs?filter=eventType+eq+%22user.session.start%22&limit=1000&sortOrder=ASCENDING" + hdr},
		{name: "Deactivate", kind: "activity", activity: "deactivate_user", retrySafe: true,
			input: map[string]any{"id": "00u1"},
			want:  "POST " + base + "/users/00u1/lifecycle/deactivate" + hdr},
		{name: "ResetPassword", kind: "activity", activity: "reset_password",
			input: map[string]any{"id": "00u1", "sendEmail": false},
			want:  "POST " + base + "/users/00u1/lifecycle/reset_password?sendEmail=false" + hdr},
		{name: "AddToGroup", kind: "activity", activity: "add_user_to_group", retrySafe: true,
			input: map[string]any{"groupId": "00g1", "userId": "00u1"},
			want:  "PUT " + base + "/groups/00g1/users/00u1" + hdr},
		{name: "AssignApp", kind: "activity", activity: "assign_app",
			input: map[string]any{"appId": "0oa1", "userId": "00u1"},
			want:  "POST " + base + "/apps/0oa1/users" + js + `{"id":"00u1","scope":"USER"}`},
	})
	t.Run("Poll", func(t *testing.T) {
		d, state, r := pollFrom(t, "okta", cred, "user", "updated", time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
		if got := r.URL.String(); got != base+"/users?limit=200&search=lastUpdated+gt+%222026-03-01T09%3A58%3A00.000Z%22&sortBy=lastUpdated&sortOrder=asc" {
			t.Errorf("poll URL = %s", got)
		}
		_, _, r = pollFrom(t, "okta", cred, "log_event", "created", state.Watermark)
		if got := r.URL.String(); got != base+"/logs?limit=1000&since=2026-03-01T09%3A58%3A00.000Z&sortOrder=ASCENDING" {
			t.Errorf("log poll URL = %s", got)
		}
		resp := connector.Response{StatusCode: 200, Header: http.Header{"Link": {`<https://acme.okta.com/api/v1/logs?after=1772359500&limit=1000>; rel="next"`}},
			Body: []byte(`[{"uuid":"e1","published":"2026-03-01T10:01:02.123Z","eventType":"user.lifecycle.create"}]`)}
		page, err := d.PollRecords("log_event", "created", state, r, resp)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != 1 || page.Records[0].ID != "e1" || page.Next == nil {
			t.Errorf("page = %+v", page)
		}
	})
}

func TestSpecOkta(t *testing.T) {
	checkSpecB(t, "okta", "okta-management.yaml", "")
}

// Zoom API reference, https://developers.zoom.us/docs/api/meetings/
// (meetings, webinars, registrants, cloud recordings, past meetings),
// https://developers.zoom.us/docs/api/users/ and
// https://developers.zoom.us/docs/api/team-chat/ (chat messages).
func TestContractZoom(t *testing.T) {
	cred := connector.Credentials{Auth: "server_to_server", Fields: map[string]string{"account_id": "acc1", "client_id": "cid"},
		Secrets: secrets("client_secret", "cs"), AccessToken: junction.NewSecret("eyJzm.example")}
	const base = "https://api.zoom.us/v2"
	const hdr = "\nAccept: application/json\nAuthorization: Bearer eyJzm.example"
	const js = hdr + "\nContent-Type: application/json\n\n"
	runContract(t, "zoom", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/users/me" + hdr},
		{name: "ListMeetings", object: "meeting", operation: "list", retrySafe: true,
			input: map[string]any{"type": "upcoming"},
			want:  "GET " + base + "/users/me/meetings?page_size=300&type=upcoming" + hdr},
		{name: "CreateMeeting", object: "meeting", operation: "create",
			input: map[string]any{"userId": "ann@example.com", "topic": "Standup", "start_time": "2026-03-02T09:00:00", "timezone": "Europe/Paris", "duration": 15, "settings": map[string]any{"waiting_room": true}},
			want: "POST " + base + "/users/ann@example.com/meetings" + js +
				`{"duration":15,"settings":{"waiting_room":true},"start_time":"2026-03-02T09:00:00","timezone":"Europe/Paris","topic":"Standup","type":2}`},
		{name: "UpdateMeeting", object: "meeting", operation: "update", retrySafe: true,
			input: map[string]any{"meetingId": 85746065432, "topic": "Daily standup"},
			want:  "PATCH " + base + "/meetings/85746065432" + js + `{"topic":"Daily standup"}`},
		{name: "CreateUser", object: "user", operation: "create",
			input: map[string]any{"email": "bob@example.com", "first_name": "Bob"},
			want:  "POST " + base + "/users" + js + `{"action":"create","user_info":{"email":"bob@example.com","first_name":"Bob","type":1}}`},
		{name: "DeleteUser", object: "user", operation: "delete", retrySafe: true,
			input: map[string]any{"userId": "u1"},
			want:  "DELETE " + base + "/users/u1?action=disassociate" + hdr},
		{name: "Recordings", object: "recording", operation: "list", retrySafe: true,
			input: map[string]any{"from": "2026-03-01", "to": "2026-03-02"},
			want:  "GET " + base + "/users/me/recordings?from=2026-03-01&page_size=300&to=2026-03-02" + hdr},
		{name: "Register", kind: "activity", activity: "add_meeting_registrant",
			input: map[string]any{"meetingId": 85746065432, "email": "ann@example.com", "first_name": "Ann"},
			want:  "POST " + base + "/meetings/85746065432/registrants" + js + `{"email":"ann@example.com","first_name":"Ann"}`},
		{name: "EndMeeting", kind: "activity", activity: "end_meeting", retrySafe: true,
			input: map[string]any{"meetingId": 85746065432},
			want:  "PUT " + base + "/meetings/85746065432/status" + js + `{"action":"end"}`},
		{name: "Chat", kind: "activity", activity: "send_chat_message",
			input: map[string]any{"message": "Deploy done", "to_channel": "ch1"},
			want:  "POST " + base + "/chat/users/me/messages" + js + `{"message":"Deploy done","to_channel":"ch1"}`},
	})
}

// Intercom: checked against Intercom's 2.15 description (TestSpecIntercom),
// which leaves out the paging parameters of GET /contacts and
// GET /conversations; those follow
// https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/pagination.
func TestContractIntercom(t *testing.T) {
	cred := connector.Credentials{Auth: "access_token", Fields: map[string]string{"api_host": "api.eu.intercom.io"}, Secrets: secrets("access_token", "dG9rOmV4YW1wbGU=")}
	const base = "https://api.eu.intercom.io"
	const hdr = "\nAccept: application/json\nAuthorization: Bearer dG9rOmV4YW1wbGU="
	const ver = "\nIntercom-Version: 2.15"
	const js = hdr + "\nContent-Type: application/json" + ver + "\n\n"
	runContract(t, "intercom", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/me" + hdr + ver},
		{name: "ListContacts", object: "contact", operation: "list", retrySafe: true,
			want: "GET " + base + "/contacts?per_page=150" + hdr + ver},
		{name: "CreateContact", object: "contact", operation: "create",
			input: map[string]any{"email": "ann@example.com", "external_id": "u-42", "custom_attributes": map[string]any{"plan": "pro"}},
			want:  "POST " + base + "/contacts" + js + `{"custom_attributes":{"plan":"pro"},"email":"ann@example.com","external_id":"u-42","role":"user"}`},
		{name: "UpsertCompany", object: "company", operation: "create", retrySafe: true,
			input: map[string]any{"company_id": "c-7", "name": "Acme"},
			want:  "POST " + base + "/companies" + js + `{"company_id":"c-7","name":"Acme"}`},
		{name: "ListCompanies", object: "company", operation: "list", retrySafe: true,
			want: "GET " + base + "/companies?page=1&per_page=50" + hdr + ver},
		{name: "CreateTicket", object: "ticket", operation: "create",
			input: map[string]any{"ticket_type_id": "1234", "contacts": []any{map[string]any{"email": "ann@example.com"}}, "ticket_attributes": map[string]any{"_default_title_": "Broken export"}},
			want:  "POST " + base + "/tickets" + js + `{"contacts":[{"email":"ann@example.com"}],"ticket_attributes":{"_default_title_":"Broken export"},"ticket_type_id":"1234"}`},
		{name: "Reply", kind: "activity", activity: "reply_to_conversation",
			input: map[string]any{"conversation_id": "123", "admin_id": "991", "body": "On it", "message_type": "note"},
			want:  "POST " + base + "/conversations/123/reply" + js + `{"admin_id":"991","body":"On it","message_type":"note","type":"admin"}`},
		{name: "Close", kind: "activity", activity: "close_conversation", retrySafe: true,
			input: map[string]any{"conversation_id": "123", "admin_id": "991"},
			want:  "POST " + base + "/conversations/123/parts" + js + `{"admin_id":"991","message_type":"close","type":"admin"}`},
		{name: "SendEmail", kind: "activity", activity: "send_message",
			input: map[string]any{"message_type": "email", "admin_id": "991", "contact_id": "c1", "subject": "Hi", "body": "Welcome"},
			want:  "POST " + base + "/messages" + js + `{"body":"Welcome","from":{"id":"991","type":"admin"},"message_type":"email","subject":"Hi","to":{"id":"c1","type":"user"}}`},
		{name: "Tag", kind: "activity", activity: "tag_contact", retrySafe: true,
			input: map[string]any{"contact_id": "c1", "tag_id": "t9"},
			want:  "POST " + base + "/contacts/c1/tags" + js + `{"id":"t9"}`},
		{name: "TrackEvent", kind: "activity", activity: "track_event",
			input: map[string]any{"event_name": "placed-order", "created_at": 1772359200, "user_id": "u-42"},
			want:  "POST " + base + "/events" + js + `{"created_at":1772359200,"event_name":"placed-order","user_id":"u-42"}`},
	})
	t.Run("Poll", func(t *testing.T) {
		d := mustDefinition(t, "intercom")
		r, err := d.BuildPoll(cred, "contact", "updated", nil, connector.PollState{Watermark: time.Unix(1772359200, 0)})
		if err != nil {
			t.Fatal(err)
		}
		// Two days back: the search compares timestamps by day and ">"
		// starts at the next one.
		const want = `{"pagination":{"per_page":150},"query":{"field":"updated_at","operator":"\u003e","value":1772186400},"sort":{"field":"updated_at","order":"ascending"}}`
		if string(r.Body) != want {
			t.Errorf("poll body\n got %s\nwant %s", r.Body, want)
		}
	})
	t.Run("Webhook", func(t *testing.T) {
		d := mustDefinition(t, "intercom")
		c := connector.Credentials{Auth: "access_token", Secrets: secrets("client_secret_for_webhooks", "app-secret")}
		body := []byte(`{"type":"notification_event","id":"notif_ccd8a4d0","topic":"contact.user.created","data":{"type":"notification_event_data","item":{"type":"contact","id":"6548f4f2","email":"ann@example.com"}}}`)
		m := hmac.New(sha1.New, []byte("app-secret"))
		m.Write(body)
		h := http.Header{"X-Hub-Signature": {"sha1=" + hex.EncodeToString(m.Sum(nil))}}
		if err := d.VerifyWebhook(c, h, body, time.Now()); err != nil {
			t.Fatal(err)
		}
		ev, _, err := d.ParseWebhook(c, h, body)
		if err != nil || ev.Object != "contact" || ev.Event != "created" || ev.ObjectID != "6548f4f2" || ev.EventID != "notif_ccd8a4d0" {
			t.Errorf("event %+v, %v", ev, err)
		}
	})
}

func TestSpecIntercom(t *testing.T) {
	checkSpecB(t, "intercom", "intercom.yaml", "", "contact/list", "conversation/list")
}

// Freshdesk: tickets and contacts are checked against the description in
// the corpus (TestSpecFreshdesk), which holds only their list, create, get
// and delete; the rest follows https://developers.freshdesk.com/api/
// (tickets, conversations, contacts, companies, agents, search).
func TestContractFreshdesk(t *testing.T) {
	cred := connector.Credentials{Fields: map[string]string{"domain": "acme"}, Secrets: secrets("api_key", "fdKey123")}
	const base = "https://acme.freshdesk.com/api/v2"
	// base64("fdKey123:X")
	const hdr = "\nAccept: application/json\nAuthorization: Basic ZmRLZXkxMjM6WA=="
	const js = hdr + "\nContent-Type: application/json\n\n"
	runContract(t, "freshdesk", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/agents/me" + hdr},
		{name: "ListTickets", object: "ticket", operation: "list", retrySafe: true,
			input: map[string]any{"email": "ann@example.com", "include": []any{"requester", "stats"}},
			want:  "GET " + base + "/tickets?email=ann%40example.com&include=requester%2Cstats&page=1&per_page=100" + hdr},
		{name: "CreateTicket", object: "ticket", operation: "create",
			input: map[string]any{"subject": "Printer jam", "description": "<p>Tray 2</p>", "email": "ann@example.com", "priority": 3, "tags": []any{"hw"}},
			want:  "POST " + base + "/tickets" + js + `{"description":"\u003cp\u003eTray 2\u003c/p\u003e","email":"ann@example.com","priority":3,"status":2,"subject":"Printer jam","tags":["hw"]}`},
		{name: "UpdateTicket", object: "ticket", operation: "update", retrySafe: true,
			input: map[string]any{"id": 42, "status": 4},
			want:  "PUT " + base + "/tickets/42" + js + `{"status":4}`},
		{name: "CreateContact", object: "contact", operation: "create",
			input: map[string]any{"name": "Ann Lee", "email": "ann@example.com"},
			want:  "POST " + base + "/contacts" + js + `{"email":"ann@example.com","name":"Ann Lee"}`},
		{name: "CreateCompany", object: "company", operation: "create",
			input: map[string]any{"name": "Acme", "domains": []any{"acme.com"}},
			want:  "POST " + base + "/companies" + js + `{"domains":["acme.com"],"name":"Acme"}`},
		{name: "Reply", kind: "activity", activity: "reply_to_ticket",
			input: map[string]any{"id": 42, "body": "Fixed"},
			want:  "POST " + base + "/tickets/42/reply" + js + `{"body":"Fixed"}`},
		{name: "Note", kind: "activity", activity: "add_note",
			input: map[string]any{"id": 42, "body": "Called the vendor"},
			want:  "POST " + base + "/tickets/42/notes" + js + `{"body":"Called the vendor","private":true}`},
		{name: "Search", kind: "activity", activity: "search_tickets", retrySafe: true,
			input: map[string]any{"query": `"status:2 AND priority:4"`},
			want:  "GET " + base + "/search/tickets?page=1&query=%22status%3A2+AND+priority%3A4%22" + hdr},
	})
	t.Run("Poll", func(t *testing.T) {
		d := mustDefinition(t, "freshdesk")
		r, err := d.BuildPoll(cred, "ticket", "updated", nil, connector.PollState{Watermark: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.URL.String(); got != base+"/tickets?order_by=updated_at&order_type=asc&page=1&per_page=100&updated_since=2026-03-01T09%3A58%3A00Z" {
			t.Errorf("poll URL = %s", got)
		}
	})
}

func TestSpecFreshdesk(t *testing.T) {
	checkSpecPathsB(t, "freshdesk", "freshdesk.yaml", "",
		"ticket/update", "contact/create", "contact/update",
		"company/list", "company/get", "company/create", "company/update", "agent/list",
		"reply_to_ticket", "add_note", "search_tickets")
}

// Pipedrive: checked against the v1 description in the corpus
// (TestSpecPipedrive); pages at https://developers.pipedrive.com/docs/api/v1.
func TestContractPipedrive(t *testing.T) {
	cred := connector.Credentials{Auth: "api_token", Fields: map[string]string{"company_domain": "acme"}, Secrets: secrets("api_token", "pd0123")}
	const base = "https://acme.pipedrive.com/api/v1"
	const hdr = "\nAccept: application/json"
	const key = "\nX-Api-Token: pd0123"
	const js = hdr + "\nContent-Type: application/json" + key + "\n\n"
	runContract(t, "pipedrive", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/users/me" + hdr + key},
		{name: "ListDeals", object: "deal", operation: "list", retrySafe: true,
			input: map[string]any{"status": "open"},
			want:  "GET " + base + "/deals?limit=500&status=open" + hdr + key},
		{name: "CreateDeal", object: "deal", operation: "create",
			input: map[string]any{"title": "Acme renewal", "value": 1200, "currency": "EUR", "custom_fields": map[string]any{"dcf558aac1ae4e8c4f849ba5e668430d8df9be12": "Q2"}},
			want:  "POST " + base + "/deals" + js + `{"currency":"EUR","dcf558aac1ae4e8c4f849ba5e668430d8df9be12":"Q2","title":"Acme renewal","value":1200}`},
		{name: "CreatePerson", object: "person", operation: "create",
			input: map[string]any{"name": "Ann Lee", "email": []any{"ann@example.com"}, "org_id": 7},
			want:  "POST " + base + "/persons" + js + `{"email":["ann@example.com"],"name":"Ann Lee","org_id":7}`},
		{name: "UpdateOrganization", object: "organization", operation: "update", retrySafe: true,
			input: map[string]any{"id": 7, "name": "Acme Ltd"},
			want:  "PUT " + base + "/organizations/7" + js + `{"name":"Acme Ltd"}`},
		{name: "CreateActivity", object: "activity", operation: "create",
			input: map[string]any{"subject": "Call Ann", "type": "call", "due_date": "2026-03-02", "deal_id": 42},
			want:  "POST " + base + "/activities" + js + `{"deal_id":42,"due_date":"2026-03-02","subject":"Call Ann","type":"call"}`},
		{name: "CreateNote", object: "note", operation: "create",
			input: map[string]any{"content": "Budget approved", "deal_id": 42},
			want:  "POST " + base + "/notes" + js + `{"content":"Budget approved","deal_id":42}`},
		{name: "CreateLead", object: "lead", operation: "create",
			input: map[string]any{"title": "Inbound: Acme", "person_id": 9, "value": map[string]any{"amount": 500, "currency": "EUR"}},
			want:  "POST " + base + "/leads" + js + `{"person_id":9,"title":"Inbound: Acme","value":{"amount":500,"currency":"EUR"}}`},
		{name: "Search", kind: "activity", activity: "search", retrySafe: true,
			input: map[string]any{"term": "acme", "item_types": []any{"deal", "person"}},
			want:  "GET " + base + "/itemSearch?item_types=deal%2Cperson&limit=100&term=acme" + hdr + key},
		{name: "FindPerson", kind: "activity", activity: "find_person_by_email", retrySafe: true,
			input: map[string]any{"term": "ann@example.com"},
			want:  "GET " + base + "/persons/search?exact_match=true&fields=email&term=ann%40example.com" + hdr + key},
		{name: "Won", kind: "activity", activity: "mark_deal_won", retrySafe: true,
			input: map[string]any{"id": 42, "status": "won"},
			want:  "PUT " + base + "/deals/42" + js + `{"status":"won"}`},
	})
	t.Run("Poll", func(t *testing.T) {
		d, state, r := pollFrom(t, "pipedrive", cred, "deal", "updated", time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
		if got := r.URL.String(); got != base+"/recents?items=deal&limit=500&since_timestamp=2026-03-01+09%3A58%3A00" {
			t.Errorf("poll URL = %s", got)
		}
		body := `{"success":true,"data":[{"item":"deal","id":42,"data":{"id":42,"add_time":"2026-01-05 08:00:00","update_time":"2026-03-01 10:04:00"}}],
			"additional_data":{"pagination":{"start":0,"limit":500,"more_items_in_collection":false}}}`
		page, err := d.PollRecords("deal", "updated", state, r, connector.Response{StatusCode: 200, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != 1 || page.Records[0].ID != "42" || page.Next != nil {
			t.Errorf("page = %+v", page)
		}
	})
}

func TestSpecPipedrive(t *testing.T) {
	checkSpecB(t, "pipedrive", "pipedrive.yml", "")
}

// QuickBooks Online Accounting API,
// https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/
// (customer, invoice, payment, item, vendor: create, read, sparse update,
// delete; query; invoice send; change data capture) and
// .../all-entities/companyinfo for the test.
func TestContractQuickBooks(t *testing.T) {
	cred := connector.Credentials{Fields: map[string]string{"realm_id": "9130357766900456", "client_id": "AB1"},
		Secrets: secrets("client_secret", "cs"), AccessToken: junction.NewSecret("eyJlbmMiOi.example")}
	const base = "https://quickbooks.api.intuit.com/v3/company/9130357766900456"
	const hdr = "\nAccept: application/json\nAuthorization: Bearer eyJlbmMiOi.example"
	const js = hdr + "\nContent-Type: application/json\n\n"
	runContract(t, "quickbooks", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/companyinfo/9130357766900456?minorversion=75" + hdr},
		{name: "ListCustomers", object: "customer", operation: "list", retrySafe: true,
			want: "GET " + base + "/query?minorversion=75&query=select+%2A+from+Customer+MAXRESULTS+1000" + hdr},
		{name: "GetInvoice", object: "invoice", operation: "get", retrySafe: true,
			input: map[string]any{"Id": "130"},
			want:  "GET " + base + "/invoice/130?minorversion=75" + hdr},
		{name: "CreateCustomer", object: "customer", operation: "create",
			input: map[string]any{"record": map[string]any{"DisplayName": "Acme Ltd", "PrimaryEmailAddr": map[string]any{"Address": "ap@acme.example"}}},
			want:  "POST " + base + "/customer?minorversion=75" + js + `{"DisplayName":"Acme Ltd","PrimaryEmailAddr":{"Address":"ap@acme.example"}}`},
		{name: "SparseUpdateItem", object: "item", operation: "update",
			input: map[string]any{"Id": "5", "SyncToken": "2", "record": map[string]any{"UnitPrice": 12.5}},
			want:  "POST " + base + "/item?minorversion=75" + js + `{"Id":"5","SyncToken":"2","UnitPrice":12.5,"sparse":true}`},
		{name: "DeletePayment", object: "payment", operation: "delete", retrySafe: true,
			input: map[string]any{"Id": "88", "SyncToken": "0"},
			want:  "POST " + base + "/payment?minorversion=75&operation=delete" + js + `{"Id":"88","SyncToken":"0"}`},
		{name: "CreateInvoice", kind: "activity", activity: "create_invoice",
			input: map[string]any{"customer_id": "58", "lines": []any{map[string]any{"Amount": 100, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": map[string]any{"ItemRef": map[string]any{"value": "1"}}}}},
			want: "POST " + base + "/invoice?minorversion=75" + js +
				`{"CustomerRef":{"value":"58"},"Line":[{"Amount":100,"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{"ItemRef":{"value":"1"}}}]}`},
		{name: "SendInvoice", kind: "activity", activity: "send_invoice",
			input: map[string]any{"invoice_id": "130", "sendTo": "ap@acme.example"},
			want:  "POST " + base + "/invoice/130/send?minorversion=75&sendTo=ap%40acme.example" + hdr + "\nContent-Type: application/octet-stream"},
		{name: "RecordPayment", kind: "activity", activity: "record_payment",
			input: map[string]any{"customer_id": "58", "amount": 100, "invoice_id": "130"},
			want:  "POST " + base + "/payment?minorversion=75" + js + `{"CustomerRef":{"value":"58"},"Line":[{"Amount":100,"LinkedTxn":[{"TxnId":"130","TxnType":"Invoice"}]}],"TotalAmt":100}`},
		{name: "CDC", kind: "activity", activity: "changed_entities", retrySafe: true,
			input: map[string]any{"entities": []any{"Customer", "Invoice"}, "changedSince": "2026-03-01T00:00:00Z"},
			want:  "GET " + base + "/cdc?changedSince=2026-03-01T00%3A00%3A00Z&entities=Customer%2CInvoice&minorversion=75" + hdr},
	})
	t.Run("PollAndSandbox", func(t *testing.T) {
		c := cred
		c.Fields = map[string]string{"realm_id": "4620816365", "client_id": "AB1", "api_host": "sandbox-quickbooks.api.intuit.com"}
		d, state, r := pollFrom(t, "quickbooks", c, "invoice", "updated", time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
		if r.URL.Host != "sandbox-quickbooks.api.intuit.com" || r.URL.Query().Get("query") != "select * from Invoice where Metadata.LastUpdatedTime > '2026-03-01T09:58:00Z' orderby Metadata.LastUpdatedTime MAXRESULTS 1000" {
			t.Errorf("poll URL = %s", r.URL)
		}
		body := `{"QueryResponse":{"Invoice":[{"Id":"130","SyncToken":"1","MetaData":{"CreateTime":"2026-02-20T02:00:00-08:00","LastUpdatedTime":"2026-03-01T02:05:00-08:00"}}],"startPosition":1,"maxResults":1},"time":"2026-03-01T02:06:00.000-08:00"}`
		page, err := d.PollRecords("invoice", "updated", state, r, connector.Response{StatusCode: 200, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != 1 || page.Records[0].ID != "130" || !page.Watermark.Equal(time.Date(2026, 3, 1, 10, 5, 0, 0, time.UTC)) {
			t.Errorf("page = %+v", page)
		}
	})
}

// pollFrom builds the first request of a poll after the watermark.
func pollFrom(t *testing.T, key string, cred connector.Credentials, object, event string, watermark time.Time) (*connector.Definition, connector.PollState, *connector.Request) {
	t.Helper()
	d := mustDefinition(t, key)
	state := connector.PollState{Watermark: watermark}
	r, err := d.BuildPoll(cred, object, event, nil, state)
	if err != nil {
		t.Fatal(err)
	}
	return d, state, r
}
