package engine_test

import (
	"net/http"
	"testing"
	"time"

	"junction/connector"
)

// CRM, help desk, identity and accounting connectors through the engine
// against loopback stand-ins answering with the shapes of each vendor's API
// reference (named beside each case).
func TestCatalogStandInsCRMAndSupport(t *testing.T) {
	watermark := connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	cases := []standInCase{
		{
			// developers.hubspot.com/docs/api/crm/contacts, /crm/search,
			// /settings/account-information-api.
			key: "hubspot-crm", auth: "private_app", hosts: []string{"https://api.hubapi.com"},
			secrets:  map[string]string{"access_token": "pat-na1-hubspot-1"},
			header:   [2]string{"Authorization", "Bearer pat-na1-hubspot-1"},
			rejected: `{"status":"error","message":"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview","correlationId":"a43683b0-5717-4ceb-80b4-104d02915d8c","category":"INVALID_AUTHENTICATION"}`,
			routes: map[string]string{
				"GET /account-info/v3/details": `{"portalId":62515,"accountType":"STANDARD","timeZone":"US/Eastern","companyCurrency":"USD","uiDomain":"app.hubspot.com","dataHostingLocation":"na1"}`,
				"POST /crm/v3/objects/notes": `{"id":"512","properties":{"hs_note_body":"Called back","hs_timestamp":"2026-12-06T10:00:00.000Z","hs_createdate":"2026-12-06T10:00:01.000Z"},
					"createdAt":"2026-12-06T10:00:01.000Z","updatedAt":"2026-12-06T10:00:01.000Z","archived":false}`,
				"GET /crm/v3/objects/contacts/bh@hubspot.com": `{"id":"151","properties":{"createdate":"2026-11-02T10:00:00.000Z","email":"bh@hubspot.com","firstname":"Brian","hs_object_id":"151","lastname":"Halligan"},
					"createdAt":"2026-11-02T10:00:00.000Z","updatedAt":"2026-12-01T10:00:00.000Z","archived":false}`,
				"POST /crm/v3/objects/contacts/search": `{"total":2,"results":[
					{"id":"151","properties":{"email":"bh@hubspot.com","lastmodifieddate":"2026-12-06T10:01:00.000Z"},"createdAt":"2026-11-02T10:00:00.000Z","updatedAt":"2026-12-06T10:01:00.000Z","archived":false},
					{"id":"152","properties":{"email":"ds@hubspot.com","lastmodifieddate":"2026-12-06T10:02:00.000Z"},"createdAt":"2026-12-06T10:02:00.000Z","updatedAt":"2026-12-06T10:02:00.000Z","archived":false}]}`,
			},
			sent: map[string][]string{
				"GET /crm/v3/objects/contacts/bh@hubspot.com": {"idProperty=email"},
				"POST /crm/v3/objects/notes":                  {`"hs_note_body":"Called back"`, `"to":{"id":"151"}`, `"associationCategory":"HUBSPOT_DEFINED","associationTypeId":202`},
				"POST /crm/v3/objects/contacts/search":        {`{"operator":"GTE","propertyName":"lastmodifieddate","value":"1796551080000"}`, `"direction":"ASCENDING"`},
			},
			calls: []standInCall{
				{activity: "add_note", input: map[string]any{"body": "Called back", "timestamp": "2026-12-06T10:00:00.000Z", "record_id": "151", "association_type_id": 202}, want: `{"id":"512"}`},
				{activity: "find_contact_by_email", input: map[string]any{"email": "bh@hubspot.com"},
					want: `{"id":"151","properties":{"createdate":"2026-11-02T10:00:00.000Z","email":"bh@hubspot.com","firstname":"Brian","hs_object_id":"151","lastname":"Halligan"}}`},
			},
			poll: &standInPoll{object: "contact", event: "created", state: watermark, want: "152"},
		},
		{
			// developer.servicenow.com Table API reference.
			key: "servicenow", auth: "basic", hosts: []string{"https://{instance}.service-now.com"},
			fields: map[string]string{"instance": "acme", "username": "junction.int"}, secrets: map[string]string{"password": "sn-pass-1"},
			header:   [2]string{"Authorization", "Basic anVuY3Rpb24uaW50OnNuLXBhc3MtMQ=="},
			rejected: `{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}`,
			routes: map[string]string{
				"GET /api/now/table/sys_user": `{"result":[{"sys_id":"6816f79cc0a8016401c5a33be04be441","user_name":"junction.int"}]}`,
				"POST /api/now/table/incident": `{"result":{"sys_id":"c537bae64f411200adf9f8e18110c76e","number":"INC0010002","short_description":"Mail down","state":"1",
					"sys_created_on":"2026-12-06 10:00:05","sys_updated_on":"2026-12-06 10:00:05"}}`,
				"PATCH /api/now/table/incident/c537bae64f411200adf9f8e18110c76e": `{"result":{"sys_id":"c537bae64f411200adf9f8e18110c76e","number":"INC0010002","state":"6","close_code":"Solved (Permanently)"}}`,
				"GET /api/now/table/incident": `{"result":[
					{"sys_id":"9d385017c611228701d22104cc95c371","number":"INC0000001","sys_created_on":"2026-11-06 10:01:00","sys_updated_on":"2026-12-06 10:01:00"},
					{"sys_id":"c537bae64f411200adf9f8e18110c76e","number":"INC0010002","sys_created_on":"2026-12-06 10:00:05","sys_updated_on":"2026-12-06 10:00:05"}]}`,
			},
			sent: map[string][]string{
				"GET /api/now/table/sys_user":                                    {"sysparm_query=sys_id=javascript:gs.getUserID()"},
				"POST /api/now/table/incident":                                   {`"short_description":"Mail down"`, `"urgency":"2"`},
				"PATCH /api/now/table/incident/c537bae64f411200adf9f8e18110c76e": {`"state":"6"`, `"close_code":"Solved (Permanently)"`, `"close_notes":"Restarted"`},
				"GET /api/now/table/incident":                                    {"sysparm_query=sys_updated_on>=javascript:gs.dateGenerate('2026-12-06','09:58:00')^ORDERBYsys_updated_on", "sysparm_display_value=false"},
			},
			calls: []standInCall{
				{activity: "create_incident", input: map[string]any{"short_description": "Mail down", "urgency": "2"},
					want: `{"number":"INC0010002","sys_id":"c537bae64f411200adf9f8e18110c76e"}`},
				{activity: "resolve_incident", input: map[string]any{"sys_id": "c537bae64f411200adf9f8e18110c76e", "close_code": "Solved (Permanently)", "close_notes": "Restarted"},
					want: `{"state":"6"}`},
			},
			poll: &standInPoll{object: "incident", event: "created", state: watermark, want: "c537bae64f411200adf9f8e18110c76e"},
		},
		{
			// developer.okta.com/docs/api/openapi/okta-management: User,
			// UserLifecycle, Group; E0000011 for a bad token.
			key: "okta", auth: "api_token", hosts: []string{"https://{okta_domain}"},
			fields: map[string]string{"okta_domain": "acme.okta.com"}, secrets: map[string]string{"api_token": "00okta-token-1"},
			header:   [2]string{"Authorization", "SSWS 00okta-token-1"},
			rejected: `{"errorCode":"E0000011","errorSummary":"Invalid token provided","errorLink":"E0000011","errorId":"oaeXsBzT3dYRB2nWg8AtvdHOg","errorCauses":[]}`,
			routes: map[string]string{
				"GET /api/v1/users/me": `{"id":"00ub0oNGTSWTBKOLGLNR","status":"ACTIVE","profile":{"login":"admin@acme.com","email":"admin@acme.com"}}`,
				"POST /api/v1/users/00ub0oNGTSWTBKOLGLNR/lifecycle/activate":         `{"activationUrl":"https://acme.okta.com/welcome/XE6wE17zmphl3KqAPFxO","activationToken":"XE6wE17zmphl3KqAPFxO"}`,
				"PUT /api/v1/groups/00g1emaKYZTWRYYRRTSK/users/00ub0oNGTSWTBKOLGLNR": ``,
				"GET /api/v1/users": `[
					{"id":"00u1f96ECLNVOKVMUSEA","status":"ACTIVE","created":"2026-11-06T10:01:00.000Z","lastUpdated":"2026-12-06T10:01:00.000Z","profile":{"login":"ann@acme.com"}},
					{"id":"00ub0oNGTSWTBKOLGLNR","status":"STAGED","created":"2026-12-06T10:02:00.000Z","lastUpdated":"2026-12-06T10:02:00.000Z","profile":{"login":"bob@acme.com"}}]`,
			},
			status: map[string]int{"PUT /api/v1/groups/00g1emaKYZTWRYYRRTSK/users/00ub0oNGTSWTBKOLGLNR": http.StatusNoContent},
			sent: map[string][]string{
				"POST /api/v1/users/00ub0oNGTSWTBKOLGLNR/lifecycle/activate": {"sendEmail=false"},
				"GET /api/v1/users": {`search=lastUpdated gt "2026-12-06T09:58:00.000Z"`, "sortBy=lastUpdated", "sortOrder=asc"},
			},
			calls: []standInCall{
				{activity: "activate_user", input: map[string]any{"id": "00ub0oNGTSWTBKOLGLNR", "sendEmail": false},
					want: `{"activation_url":"https://acme.okta.com/welcome/XE6wE17zmphl3KqAPFxO"}`},
				{activity: "add_user_to_group", input: map[string]any{"groupId": "00g1emaKYZTWRYYRRTSK", "userId": "00ub0oNGTSWTBKOLGLNR"}, want: `null`},
			},
			poll: &standInPoll{object: "user", event: "created", state: watermark, want: "00ub0oNGTSWTBKOLGLNR"},
		},
		{
			// developers.intercom.com/docs/references/rest-api/api.intercom.io:
			// Admins (/me), Contacts (search, find by external ID), Messages.
			key: "intercom", auth: "access_token", hosts: []string{"https://{api_host}"},
			secrets:  map[string]string{"access_token": "dG9rOmludGVyY29tLTE="},
			header:   [2]string{"Authorization", "Bearer dG9rOmludGVyY29tLTE="},
			rejected: `{"type":"error.list","request_id":"b68959ea-6328-4f22-8e6e-5b3b4b2bb0a4","errors":[{"code":"unauthorized","message":"Access Token Invalid"}]}`,
			routes: map[string]string{
				"GET /me": `{"type":"admin","id":"991267460","email":"admin@example.com","name":"Ann","app":{"type":"app","id_code":"this_is_an_id1_that_should_be_at_least_40"}}`,
				"POST /messages": `{"type":"user_message","id":"403918330","created_at":1796551200,"body":"Welcome","message_type":"inapp",
					"owner":{"type":"admin","id":"991267460"}}`,
				"GET /contacts/find_by_external_id/ext-42": `{"type":"contact","id":"6762f0d01bb69f9f2193bb7f","external_id":"ext-42","role":"user","email":"joe@example.com"}`,
				"POST /contacts/search": `{"type":"list","data":[
					{"type":"contact","id":"6762f0d11bb69f9f2193bb80","created_at":1793963000,"updated_at":1796551260},
					{"type":"contact","id":"6762f0d11bb69f9f2193bb81","created_at":1796551320,"updated_at":1796551320}],
					"total_count":3,"pages":{"type":"pages","next":{"page":2,"starting_after":"WzE3OTY1NTEzMjAwMDAsIjY3NjJmMGQxMWJiNjkiXQ"},"page":1,"per_page":150,"total_pages":2}}`,
				"POST /contacts/search?starting_after=WzE3OTY1NTEzMjAwMDAsIjY3NjJmMGQxMWJiNjkiXQ": `{"type":"list","data":[
					{"type":"contact","id":"6762f0d11bb69f9f2193bb82","created_at":1796551500,"updated_at":1796551500}],
					"total_count":3,"pages":{"type":"pages","page":2,"per_page":150,"total_pages":2}}`,
			},
			sent: map[string][]string{
				"POST /messages": {`"message_type":"inapp"`, `"from":{"id":"991267460","type":"admin"}`, `"to":{"id":"6762f0d01bb69f9f2193bb7f","type":"user"}`},
				"POST /contacts/search": {`"field":"updated_at","operator":"\u003e","value":1796378400`, `"sort":{"field":"updated_at","order":"ascending"}`,
					`"pagination":{"per_page":150,"starting_after":"WzE3OTY1NTEzMjAwMDAsIjY3NjJmMGQxMWJiNjkiXQ"}`},
			},
			calls: []standInCall{
				{activity: "send_message", input: map[string]any{"message_type": "inapp", "admin_id": "991267460", "contact_id": "6762f0d01bb69f9f2193bb7f", "body": "Welcome"},
					want: `{"id":"403918330"}`},
				{activity: "find_contact_by_external_id", input: map[string]any{"external_id": "ext-42"}, want: `{"id":"6762f0d01bb69f9f2193bb7f"}`},
			},
			poll: &standInPoll{object: "contact", event: "created", state: watermark, want: "6762f0d11bb69f9f2193bb81 6762f0d11bb69f9f2193bb82"},
		},
		{
			// developers.freshdesk.com/api: Agents, Tickets (reply, notes,
			// list with updated_since); invalid_credentials for a bad key.
			key: "freshdesk", auth: "api_key", hosts: []string{"https://{domain}.freshdesk.com"},
			fields: map[string]string{"domain": "acme"}, secrets: map[string]string{"api_key": "fd-key-1"},
			header:   [2]string{"Authorization", "Basic ZmQta2V5LTE6WA=="},
			rejected: `{"code":"invalid_credentials","message":"You have to be logged in to perform this action."}`,
			routes: map[string]string{
				"GET /api/v2/agents/me": `{"available":true,"occasional":false,"id":43000123456,"contact":{"name":"Ann","email":"ann@acme.com"}}`,
				"POST /api/v2/tickets/20/reply": `{"body":"<div>We are on it</div>","body_text":"We are on it","id":43000655823,"incoming":false,"private":false,
					"user_id":43000123456,"support_email":"support@acme.freshdesk.com","ticket_id":20,"created_at":"2026-12-06T10:00:05Z","updated_at":"2026-12-06T10:00:05Z"}`,
				"POST /api/v2/tickets/20/notes": `{"body":"<div>Escalated</div>","body_text":"Escalated","id":43000655824,"incoming":false,"private":true,
					"user_id":43000123456,"ticket_id":20,"created_at":"2026-12-06T10:00:06Z","updated_at":"2026-12-06T10:00:06Z"}`,
				"GET /api/v2/tickets": `[
					{"id":18,"subject":"Printer","status":2,"priority":1,"created_at":"2026-11-06T10:01:00Z","updated_at":"2026-12-06T10:01:00Z"},
					{"id":20,"subject":"Mail down","status":2,"priority":3,"created_at":"2026-12-06T10:02:00Z","updated_at":"2026-12-06T10:02:00Z"}]`,
			},
			sent: map[string][]string{
				"POST /api/v2/tickets/20/notes": {`"private":true`},
				"GET /api/v2/tickets":           {"updated_since=2026-12-06T09:58:00Z", "order_by=updated_at", "order_type=asc"},
			},
			calls: []standInCall{
				{activity: "reply_to_ticket", input: map[string]any{"id": 20, "body": "<div>We are on it</div>"}, want: `{"id":43000655823}`},
				{activity: "add_note", input: map[string]any{"id": 20, "body": "<div>Escalated</div>"}, want: `{"id":43000655824}`},
			},
			poll: &standInPoll{object: "ticket", event: "created", state: watermark, want: "20"},
		},
		{
			// developers.pipedrive.com/docs/api/v1: Users, Deals, Persons
			// (search), Recents.
			key: "pipedrive", auth: "api_token", hosts: []string{"https://{company_domain}.pipedrive.com"},
			fields: map[string]string{"company_domain": "acme"}, secrets: map[string]string{"api_token": "pd-token-1"},
			header:   [2]string{"X-Api-Token", "pd-token-1"},
			rejected: `{"success":false,"error":"unauthorized access","errorCode":401,"error_info":"Please check developers.pipedrive.com"}`,
			routes: map[string]string{
				"GET /api/v1/users/me": `{"success":true,"data":{"id":8877,"name":"Ann","email":"ann@acme.com","company_id":12345,"company_domain":"acme"}}`,
				"PUT /api/v1/deals/71": `{"success":true,"data":{"id":71,"title":"Renewal","status":"won","won_time":"2026-12-06 10:00:05","update_time":"2026-12-06 10:00:05"}}`,
				"GET /api/v1/persons/search": `{"success":true,"data":{"items":[{"result_score":1.0,"item":{"id":42,"type":"person","name":"Joe","emails":["joe@example.com"]}}]},
					"additional_data":{"pagination":{"start":0,"limit":100,"more_items_in_collection":false}}}`,
				"GET /api/v1/recents": `{"success":true,"data":[
					{"item":"deal","id":70,"data":{"id":70,"title":"Upsell","add_time":"2026-11-06 10:01:00","update_time":"2026-12-06 10:01:00"}},
					{"item":"deal","id":71,"data":{"id":71,"title":"Renewal","add_time":"2026-12-06 10:02:00","update_time":"2026-12-06 10:02:00"}}],
					"additional_data":{"since_timestamp":"2026-12-06 09:58:00","last_timestamp_on_page":"2026-12-06 10:02:00",
					"pagination":{"start":0,"limit":500,"more_items_in_collection":true,"next_start":2}}}`,
				"GET /api/v1/recents?start=2": `{"success":true,"data":[
					{"item":"deal","id":72,"data":{"id":72,"title":"Pilot","add_time":"2026-12-06 10:03:00","update_time":"2026-12-06 10:03:00"}}],
					"additional_data":{"since_timestamp":"2026-12-06 09:58:00","last_timestamp_on_page":"2026-12-06 10:03:00",
					"pagination":{"start":2,"limit":500,"more_items_in_collection":false}}}`,
			},
			sent: map[string][]string{
				"PUT /api/v1/deals/71":       {`"status":"won"`},
				"GET /api/v1/persons/search": {"term=joe@example.com", "fields=email", "exact_match=true"},
				"GET /api/v1/recents":        {"since_timestamp=2026-12-06 09:58:00", "items=deal"},
			},
			calls: []standInCall{
				{activity: "mark_deal_won", input: map[string]any{"id": 71, "status": "won"}, want: `{"status":"won"}`},
				{activity: "find_person_by_email", input: map[string]any{"term": "joe@example.com"},
					want: `{"items":[{"item":{"emails":["joe@example.com"],"id":42,"name":"Joe","type":"person"},"result_score":1.0}]}`},
			},
			poll: &standInPoll{object: "deal", event: "created", state: watermark, want: "71 72"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			runStandIn(t, tc)
		})
	}
}

// Connectors whose credentials are exchanged or signed: client
// credentials (Salesforce, Zoom's account credentials), Amazon SES's
// Signature Version 4, and QuickBooks' authorization code.
func TestCatalogStandInsSignedAndExchanged(t *testing.T) {
	watermark := connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	cases := []standInCase{
		{
			// developer.salesforce.com REST API Developer Guide: Limits,
			// sObject Basic Information (create), Query; INVALID_SESSION_ID.
			key: "salesforce", auth: "oauth2_client_credentials", hosts: []string{"https://{instance_host}"},
			fields:    map[string]string{"instance_host": "acme.my.salesforce.com", "client_id": "3MVG9-salesforce"},
			secrets:   map[string]string{"client_secret": "standin-client-secret"},
			tokenPath: "/services/oauth2/token",
			header:    [2]string{"Authorization", "Bearer standin-at"},
			rejected:  `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`,
			routes: map[string]string{
				"GET /services/data/v62.0/limits":            `{"DailyApiRequests":{"Max":15000,"Remaining":14998}}`,
				"POST /services/data/v62.0/sobjects/Account": `{"id":"001D000000IqhSLIAZ","errors":[],"success":true}`,
				"GET /services/data/v62.0/query": `{"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01gD0000002HU6KIAW-2000","records":[
					{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/001D000000IRFmaIAH"},"Id":"001D000000IRFmaIAH","Name":"Edge","CreatedDate":"2026-11-06T10:01:00.000+0000","LastModifiedDate":"2026-12-06T10:01:00.000+0000"},
					{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/001D000000IqhSLIAZ"},"Id":"001D000000IqhSLIAZ","Name":"Acme","CreatedDate":"2026-12-06T10:02:00.000+0000","LastModifiedDate":"2026-12-06T10:02:00.000+0000"}]}`,
				"GET /services/data/v62.0/query/01gD0000002HU6KIAW-2000": `{"totalSize":3,"done":true,"records":[
					{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/001D000000IqhSMIAZ"},"Id":"001D000000IqhSMIAZ","Name":"Globex","CreatedDate":"2026-12-06T10:03:00.000+0000","LastModifiedDate":"2026-12-06T10:03:00.000+0000"}]}`,
			},
			status: map[string]int{"POST /services/data/v62.0/sobjects/Account": http.StatusCreated},
			sent: map[string][]string{
				"GET /services/data/v62.0/query": {"WHERE LastModifiedDate > 2026-12-06T09:58:00Z ORDER BY LastModifiedDate ASC"},
			},
			calls: []standInCall{
				{activity: "create_record", input: map[string]any{"sobject": "Account", "record": map[string]any{"Name": "Acme"}}, want: `{"id":"001D000000IqhSLIAZ","success":true}`},
				{activity: "query", input: map[string]any{"q": "SELECT Id FROM Account WHERE Name = 'Acme'"}, want: `{"records":[{"CreatedDate":"2026-11-06T10:01:00.000+0000","Id":"001D000000IRFmaIAH","LastModifiedDate":"2026-12-06T10:01:00.000+0000","Name":"Edge",` +
					`"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/001D000000IRFmaIAH"}},{"CreatedDate":"2026-12-06T10:02:00.000+0000","Id":"001D000000IqhSLIAZ",` +
					`"LastModifiedDate":"2026-12-06T10:02:00.000+0000","Name":"Acme","attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/001D000000IqhSLIAZ"}}],"total_size":3}`},
			},
			poll: &standInPoll{object: "account", event: "created", state: watermark, want: "001D000000IqhSLIAZ 001D000000IqhSMIAZ"},
		},
		{
			// developers.zoom.us: Server-to-Server OAuth (grant_type
			// account_credentials), Meetings (registrants, status), Cloud
			// Recording; code 124 for a bad token.
			key: "zoom", auth: "server_to_server", hosts: []string{"https://api.zoom.us/v2", "https://zoom.us"},
			fields:    map[string]string{"account_id": "aBcD1234", "client_id": "zoom-client"},
			secrets:   map[string]string{"client_secret": "standin-client-secret"},
			tokenPath: "/oauth/token", grant: "account_credentials",
			header:   [2]string{"Authorization", "Bearer standin-at"},
			rejected: `{"code":124,"message":"Invalid access token."}`,
			routes: map[string]string{
				"GET /users/me": `{"id":"KDcuGIm1QgePTO8WbOqwIQ","email":"host@example.com","type":2,"account_id":"aBcD1234"}`,
				"POST /meetings/85746065432/registrants": `{"id":85746065432,"join_url":"https://example.com/j/11111","registrant_id":"fdgsfh2ey82fuh",
					"start_time":"2026-12-07T15:00:00Z","topic":"Onboarding","occurrences":[]}`,
				"PUT /meetings/85746065432/status": ``,
				"GET /users/me/recordings": `{"from":"2026-12-05","to":"2026-12-06","page_size":300,"next_page_token":"Tva2CuIdTgsv8wAnhyAdU3m06Y2HuLQtlh3","total_records":3,"meetings":[
					{"uuid":"aDYlohsHRtCd4ii1uC2+hA==","id":85746065432,"topic":"Onboarding","start_time":"2026-12-06T10:05:00Z","recording_files":[]},
					{"uuid":"4444AAAiAAAAAiAiAiiAii==","id":85746065000,"topic":"Standup","start_time":"2026-12-05T08:00:00Z","recording_files":[]}]}`,
				"GET /users/me/recordings?next_page_token=Tva2CuIdTgsv8wAnhyAdU3m06Y2HuLQtlh3": `{"from":"2026-12-05","to":"2026-12-06","page_size":300,"next_page_token":"","total_records":3,"meetings":[
					{"uuid":"8OXCDSqdTR+6PnNs5Ia1Xw==","id":85746065999,"topic":"Review","start_time":"2026-12-06T10:07:00Z","recording_files":[]}]}`,
			},
			status: map[string]int{"POST /meetings/85746065432/registrants": http.StatusCreated, "PUT /meetings/85746065432/status": http.StatusNoContent},
			sent: map[string][]string{
				"POST /oauth/token":                      {"account_id=aBcD1234"},
				"POST /meetings/85746065432/registrants": {`"email":"joe@example.com"`, `"first_name":"Joe"`},
				"PUT /meetings/85746065432/status":       {`"action":"end"`},
				"GET /users/me/recordings":               {"from=2026-12-05"},
			},
			calls: []standInCall{
				{activity: "add_meeting_registrant", input: map[string]any{"meetingId": 85746065432, "email": "joe@example.com", "first_name": "Joe"},
					want: `{"join_url":"https://example.com/j/11111","registrant_id":"fdgsfh2ey82fuh"}`},
				{activity: "end_meeting", input: map[string]any{"meetingId": 85746065432}, want: `null`},
			},
			poll: &standInPoll{object: "recording", event: "created", state: watermark, want: "aDYlohsHRtCd4ii1uC2+hA== 8OXCDSqdTR+6PnNs5Ia1Xw=="},
		},
		{
			// docs.aws.amazon.com/ses/latest/APIReference-V2: GetAccount,
			// SendEmail, ListSuppressedDestinations; 403
			// InvalidSignatureException for a wrong secret key.
			key: "amazon-ses", auth: "access_key", hosts: []string{"https://email.{region}.amazonaws.com"},
			fields:  map[string]string{"region": "eu-west-1", "access_key_id": "AKIAIOSFODNN7EXAMPLE"},
			secrets: map[string]string{"secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
			sigv4:   [2]string{"ses", "eu-west-1"},
			routes: map[string]string{
				"GET /v2/email/account": `{"DedicatedIpAutoWarmupEnabled":false,"EnforcementStatus":"HEALTHY","ProductionAccessEnabled":true,
					"SendQuota":{"Max24HourSend":50000.0,"MaxSendRate":14.0,"SentLast24Hours":12.0},"SendingEnabled":true,
					"SuppressionAttributes":{"SuppressedReasons":["BOUNCE","COMPLAINT"]}}`,
				"POST /v2/email/outbound-emails": `{"MessageId":"0102018f3c1e2a3b-5c6d7e8f-0000-0000-0000-000000000000-000000"}`,
				"GET /v2/email/suppression/addresses": `{"SuppressedDestinationSummaries":[
					{"EmailAddress":"bounced@example.com","Reason":"BOUNCE","LastUpdateTime":1796551320},
					{"EmailAddress":"old@example.com","Reason":"COMPLAINT","LastUpdateTime":1796400000}],"NextToken":"AQICAHhBZ3Vsc2VybmV4dA"}`,
				"GET /v2/email/suppression/addresses?NextToken=AQICAHhBZ3Vsc2VybmV4dA": `{"SuppressedDestinationSummaries":[
					{"EmailAddress":"late@example.com","Reason":"BOUNCE","LastUpdateTime":1796551440}]}`,
			},
			sent: map[string][]string{
				"POST /v2/email/outbound-emails":      {`"FromEmailAddress":"ops@example.com"`, `"ToAddresses":["ann@example.com"]`, `"Subject":{"Data":"Hello"}`, `"Text":{"Data":"Hi"}`},
				"GET /v2/email/suppression/addresses": {"StartDate=2026-12-06T09:55:00Z"},
			},
			calls: []standInCall{
				{activity: "send_email", input: map[string]any{"from": "ops@example.com", "to": []any{"ann@example.com"}, "subject": "Hello", "text": "Hi"},
					want: `{"message_id":"0102018f3c1e2a3b-5c6d7e8f-0000-0000-0000-000000000000-000000"}`},
				{activity: "get_account", want: `{"max_24_hour_send":50000.0,"max_send_rate":14.0,"production_access":true,"sending_enabled":true,"sent_last_24_hours":12.0}`},
			},
			poll: &standInPoll{object: "suppressed_destination", event: "created", state: watermark, want: "bounced@example.com late@example.com"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			runStandIn(t, tc)
		})
	}
}

// developer.intuit.com: OAuth 2.0 (consent at appcenter.intuit.com, tokens
// from the bearer endpoint), the Accounting API's CompanyInfo, Invoice
// (create, send) and query.
func TestCatalogStandInsQuickBooks(t *testing.T) {
	watermark := connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	const company = "/v3/company/9130357766900456"
	runOAuthStandIn(t, oauthStandInCase{
		key: "quickbooks", auth: "oauth2_authorization_code",
		hosts:         []string{"https://{api_host}", "https://appcenter.intuit.com", "https://oauth.platform.intuit.com"},
		fields:        map[string]string{"client_id": "ABqb-client", "realm_id": "9130357766900456"},
		authorize:     map[string]string{"scope": "com.intuit.quickbooks.accounting"},
		authorizePath: "/connect/oauth2", tokenPath: "/oauth2/v1/tokens/bearer", noPKCE: true,
		routes: map[string]string{
			"GET " + company + "/companyinfo/9130357766900456": `{"CompanyInfo":{"CompanyName":"Craig's Design and Landscaping Services","Id":"1","SyncToken":"4"},"time":"2026-12-06T02:00:00.000-08:00"}`,
			"POST " + company + "/invoice": `{"Invoice":{"Id":"130","SyncToken":"0","DocNumber":"1037","TotalAmt":150.0,"Balance":150.0,"CustomerRef":{"value":"1"},
				"MetaData":{"CreateTime":"2026-12-06T02:05:00-08:00","LastUpdatedTime":"2026-12-06T02:05:00-08:00"}},"time":"2026-12-06T02:05:00.000-08:00"}`,
			"POST " + company + "/invoice/130/send": `{"Invoice":{"Id":"130","EmailStatus":"EmailSent","BillEmail":{"Address":"ann@example.com"},
				"DeliveryInfo":{"DeliveryType":"Email","DeliveryTime":"2026-12-06T02:06:00-08:00"}},"time":"2026-12-06T02:06:00.000-08:00"}`,
			"GET " + company + "/query": `{"QueryResponse":{"Invoice":[
				{"Id":"129","TotalAmt":20.0,"MetaData":{"CreateTime":"2026-11-06T02:01:00-08:00","LastUpdatedTime":"2026-12-06T02:01:00-08:00"}},
				{"Id":"130","TotalAmt":150.0,"MetaData":{"CreateTime":"2026-12-06T02:05:00-08:00","LastUpdatedTime":"2026-12-06T02:06:00-08:00"}}],
				"startPosition":1,"maxResults":2},"time":"2026-12-06T02:10:00.000-08:00"}`,
		},
		sent: map[string][]string{
			"POST " + company + "/invoice":          {"minorversion=75", `"CustomerRef":{"value":"1"}`, `"DetailType":"SalesItemLineDetail"`},
			"POST " + company + "/invoice/130/send": {"minorversion=75"},
			"GET " + company + "/query":             {"select * from Invoice where Metadata.LastUpdatedTime > '2026-12-06T09:58:00Z'"},
		},
		calls: []standInCall{
			{activity: "create_invoice", input: map[string]any{"customer_id": "1", "lines": []any{map[string]any{"Amount": 150.0, "DetailType": "SalesItemLineDetail",
				"SalesItemLineDetail": map[string]any{"ItemRef": map[string]any{"value": "1"}, "Qty": 1, "UnitPrice": 150.0}}}},
				want: `{"id":"130","total":150.0}`},
			{activity: "send_invoice", input: map[string]any{"invoice_id": "130"}, want: `{"email_status":"EmailSent"}`},
		},
		poll: &standInPoll{object: "invoice", event: "updated", state: watermark, want: "129"},
	})
}

// The authorization-code types of two marketing connectors whose other
// types have stand-in runs already: Mailchimp (no PKCE; the data center is
// a field) and Klaviyo (PKCE required, JSON:API answers).
func TestCatalogStandInsMarketingOAuth(t *testing.T) {
	watermark := connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	cases := []oauthStandInCase{
		{
			// mailchimp.com/developer/marketing: Access OAuth 2, API Root,
			// List Members (PUT upsert, list), Search Members.
			key: "mailchimp", auth: "oauth2_authorization_code", hosts: []string{"https://{dc}.api.mailchimp.com", "https://login.mailchimp.com"},
			fields: map[string]string{"client_id": "366426127388", "dc": "us6"}, noPKCE: true,
			routes: map[string]string{
				"GET /3.0/": `{"account_id":"8d3a3db4d97663a9074efcc16","account_name":"Freddie's Jokes","email":"freddie@freddiesjokes.com"}`,
				"PUT /3.0/lists/57afe96172/members/62eeb292278cc15f5817cb78f7790b08": `{"id":"62eeb292278cc15f5817cb78f7790b08","email_address":"urist.mcvankab@freddiesjokes.com",
					"unique_email_id":"aaabbbccc1","status":"subscribed","list_id":"57afe96172","timestamp_opt":"2026-12-06T10:00:05+00:00","last_changed":"2026-12-06T10:00:05+00:00"}`,
				"GET /3.0/search-members": `{"exact_matches":{"members":[{"id":"62eeb292278cc15f5817cb78f7790b08","email_address":"urist.mcvankab@freddiesjokes.com","status":"subscribed"}],"total_items":1},
					"full_search":{"members":[],"total_items":0}}`,
				"GET /3.0/lists/57afe96172/members": `{"members":[
					{"id":"62eeb292278cc15f5817cb78f7790b08","email_address":"urist.mcvankab@freddiesjokes.com","timestamp_opt":"2026-12-06T10:00:05+00:00","last_changed":"2026-12-06T10:00:05+00:00"},
					{"id":"0e1c9c9a7b1f6a0f3a4d7c2e5b8a1f00","email_address":"old@freddiesjokes.com","timestamp_opt":"2026-11-06T10:00:05+00:00","last_changed":"2026-12-06T10:00:06+00:00"}],
					"list_id":"57afe96172","total_items":2}`,
			},
			sent: map[string][]string{
				"GET /3.0/": {"fields=account_id,account_name,email"},
				"PUT /3.0/lists/57afe96172/members/62eeb292278cc15f5817cb78f7790b08": {`"email_address":"urist.mcvankab@freddiesjokes.com"`, `"status_if_new":"subscribed"`},
				"GET /3.0/search-members":           {"query=urist.mcvankab@freddiesjokes.com"},
				"GET /3.0/lists/57afe96172/members": {"since_timestamp_opt=2026-12-06T09:59:00Z"},
			},
			calls: []standInCall{
				{activity: "upsert_member", input: map[string]any{"list_id": "57afe96172", "subscriber_hash": "62eeb292278cc15f5817cb78f7790b08", "email_address": "urist.mcvankab@freddiesjokes.com"},
					want: `{"id":"62eeb292278cc15f5817cb78f7790b08","status":"subscribed"}`},
				{activity: "search_members", input: map[string]any{"query": "urist.mcvankab@freddiesjokes.com"},
					want: `{"exact_matches":[{"email_address":"urist.mcvankab@freddiesjokes.com","id":"62eeb292278cc15f5817cb78f7790b08","status":"subscribed"}],"full_search":[]}`},
			},
			poll: &standInPoll{object: "member", event: "created", input: map[string]any{"list_id": "57afe96172"}, state: watermark, want: "62eeb292278cc15f5817cb78f7790b08"},
		},
		{
			// developers.klaviyo.com: Set up OAuth (PKCE, Basic client
			// authentication), Get Accounts, Create or Update Profile
			// (profile-import), Create Event, Get Profiles.
			key: "klaviyo", auth: "oauth2_authorization_code", hosts: []string{"https://a.klaviyo.com", "https://www.klaviyo.com"},
			fields: map[string]string{"client_id": "klaviyo-app-1"},
			routes: map[string]string{
				"GET /api/accounts": `{"data":[{"type":"account","id":"AbC123","attributes":{"contact_information":{"organization_name":"Acme"}}}],"links":{"self":"https://a.klaviyo.com/api/accounts/"}}`,
				"POST /api/profile-import": `{"data":{"type":"profile","id":"01GDDKASAP8TKDDA2GRZDSVP4H","attributes":{"email":"sarah.mason@klaviyo-demo.com",
					"created":"2026-12-06T10:00:05+00:00","updated":"2026-12-06T10:00:05+00:00"}}}`,
				"POST /api/events": ``,
				"GET /api/profiles": `{"data":[
					{"type":"profile","id":"01GDDKASAP8TKDDA2GRZDSVP4H","attributes":{"email":"sarah.mason@klaviyo-demo.com","created":"2026-12-06T10:00:05+00:00","updated":"2026-12-06T10:00:05+00:00"}}],
					"links":{"self":"https://a.klaviyo.com/api/profiles/","next":null,"prev":null}}`,
			},
			status: map[string]int{"POST /api/events": http.StatusAccepted},
			sent: map[string][]string{
				"POST /api/profile-import": {`"type":"profile"`, `"email":"sarah.mason@klaviyo-demo.com"`},
				"POST /api/events":         {`"metric":{"data":{"attributes":{"name":"Placed Order"},"type":"metric"}}`, `"profile":{"data":{"attributes":{"email":"sarah.mason@klaviyo-demo.com"},"type":"profile"}}`},
				"GET /api/profiles":        {"filter=greater-than(created,2026-12-06T09:59:00Z)", "sort=created"},
			},
			calls: []standInCall{
				{activity: "upsert_profile", input: map[string]any{"email": "sarah.mason@klaviyo-demo.com"}, want: `{"id":"01GDDKASAP8TKDDA2GRZDSVP4H"}`},
				{activity: "track_event", input: map[string]any{"metric": "Placed Order", "email": "sarah.mason@klaviyo-demo.com", "properties": map[string]any{"value": 9.99}}, want: `null`},
			},
			poll: &standInPoll{object: "profile", event: "created", state: watermark, want: "01GDDKASAP8TKDDA2GRZDSVP4H"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			runOAuthStandIn(t, tc)
		})
	}
}

// Workday's REST APIs (community.workday.com REST API directory: Common
// workers, Absence Management balances) behind an API client. The stand-in
// is both the website host (consent) and the services host (API, tokens);
// that the consent page is sought on the former is TestContractWorkday's.
func TestCatalogStandInsWorkday(t *testing.T) {
	const common = "/ccx/api/common/v1/acme"
	runOAuthStandIn(t, oauthStandInCase{
		key: "workday", auth: "oauth2_authorization_code", hosts: []string{"https://{host}", "https://{auth_host}"},
		fields: map[string]string{"client_id": "ZjRlYjNjYzAtN2NhNi00", "tenant": "acme", "host": "wd2-impl-services1.workday.com", "auth_host": "wd2-impl.workday.com"},
		noPKCE: true,
		routes: map[string]string{
			"GET " + common + "/workers/me": `{"id":"3aa5550b7fe348b98d7b5741afc65534","descriptor":"Logan McNeil","workerId":"21001","isManager":true}`,
			"GET " + common + "/workers/3aa5550b7fe348b98d7b5741afc65534/directReports": `{"total":1,"data":[{"id":"0e44c92412d34b01ace61e80a47aaf6d","descriptor":"Teresa Serrano",
				"primaryWorkEmail":"tserrano@workday.net","businessTitle":"Vice President, Human Resources"}]}`,
			"GET /ccx/api/absenceManagement/v1/acme/balances": `{"total":1,"data":[{"id":"b1","absencePlan":{"id":"p1","descriptor":"Paid Time Off (Hours)"},"quantity":"84","unit":{"descriptor":"Hours"}}]}`,
		},
		sent: map[string][]string{
			"GET " + common + "/workers/3aa5550b7fe348b98d7b5741afc65534/directReports": {"limit=100"},
			"GET /ccx/api/absenceManagement/v1/acme/balances":                           {"worker=3aa5550b7fe348b98d7b5741afc65534"},
		},
		calls: []standInCall{
			{activity: "get_direct_reports", input: map[string]any{"ID": "3aa5550b7fe348b98d7b5741afc65534"},
				want: `{"total":1,"workers":[{"businessTitle":"Vice President, Human Resources","descriptor":"Teresa Serrano","id":"0e44c92412d34b01ace61e80a47aaf6d","primaryWorkEmail":"tserrano@workday.net"}]}`},
			{activity: "get_time_off_balances", input: map[string]any{"worker": "3aa5550b7fe348b98d7b5741afc65534"},
				want: `{"balances":[{"absencePlan":{"descriptor":"Paid Time Off (Hours)","id":"p1"},"id":"b1","quantity":"84","unit":{"descriptor":"Hours"}}]}`},
		},
	})
}

// DocuSign eSignature (developers.docusign.com: Authorization Code Grant
// with PKCE at account-d.docusign.com, Accounts: get, Envelopes: create
// from a template, EnvelopeViews: createRecipient, Envelopes: listStatusChanges).
func TestCatalogStandInsDocuSign(t *testing.T) {
	watermark := connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	const account = "/restapi/v2.1/accounts/f0f3f3d5-3a1e-4c28-9d0c-1a2b3c4d5e6f"
	runOAuthStandIn(t, oauthStandInCase{
		key: "docusign", auth: "oauth2_authorization_code", hosts: []string{"https://{base_host}", "https://{auth_host}"},
		fields: map[string]string{"integration_key": "7c2b8d7e-83c3-4940-af5e-dda8b7f0d1a2", "base_host": "demo.docusign.net",
			"account_id": "f0f3f3d5-3a1e-4c28-9d0c-1a2b3c4d5e6f", "auth_host": "account-d.docusign.com"},
		clientIDField: "integration_key", secretField: "secret_key",
		authorize: map[string]string{"scope": "signature extended"},
		routes: map[string]string{
			"GET " + account: `{"currentPlanId":"d8f5a8b2","planName":"DEVELOPER","accountName":"Acme","accountIdGuid":"f0f3f3d5-3a1e-4c28-9d0c-1a2b3c4d5e6f"}`,
			"POST " + account + "/envelopes": `{"envelopeId":"93be49ab-c128-4f19-8cd8-f6c8b4a8c3e5","uri":"/envelopes/93be49ab-c128-4f19-8cd8-f6c8b4a8c3e5",
				"statusDateTime":"2026-12-06T10:00:05.0000000Z","status":"sent"}`,
			"POST " + account + "/envelopes/93be49ab-c128-4f19-8cd8-f6c8b4a8c3e5/views/recipient": `{"url":"https://demo.docusign.net/Signing/MTRedeem/v1/4b4c1b9c?slt=eyJ0eXAi"}`,
			"GET " + account + "/envelopes": `{"resultSetSize":"2","totalSetSize":"2","startPosition":"0","endPosition":"1","envelopes":[
				{"envelopeId":"93be49ab-c128-4f19-8cd8-f6c8b4a8c3e5","status":"completed","createdDateTime":"2026-12-06T10:00:05.0000000Z","statusChangedDateTime":"2026-12-06T10:04:00.0000000Z","completedDateTime":"2026-12-06T10:04:00.0000000Z"},
				{"envelopeId":"1b2c3d4e-0000-4f19-8cd8-f6c8b4a8c3e5","status":"completed","createdDateTime":"2026-11-30T10:00:05.0000000Z","statusChangedDateTime":"2026-12-05T10:04:00.0000000Z","completedDateTime":"2026-12-05T10:04:00.0000000Z"}]}`,
		},
		status: map[string]int{"POST " + account + "/envelopes": http.StatusCreated, "POST " + account + "/envelopes/93be49ab-c128-4f19-8cd8-f6c8b4a8c3e5/views/recipient": http.StatusCreated},
		sent: map[string][]string{
			"POST " + account + "/envelopes": {`"templateId":"c0d4e5f6"`, `"roleName":"Signer"`, `"email":"ann@example.com"`, `"status":"sent"`},
			"POST " + account + "/envelopes/93be49ab-c128-4f19-8cd8-f6c8b4a8c3e5/views/recipient": {`"returnUrl":"https://example.com/done"`, `"clientUserId":"1001"`, `"authenticationMethod":"none"`},
			"GET " + account + "/envelopes": {"from_date=2026-12-06T09:58:00Z", "from_to_status=completed"},
		},
		calls: []standInCall{
			{activity: "send_from_template", input: map[string]any{"template_id": "c0d4e5f6", "role_name": "Signer", "signer_email": "ann@example.com", "signer_name": "Ann"},
				want: `{"envelopeId":"93be49ab-c128-4f19-8cd8-f6c8b4a8c3e5","status":"sent","uri":"/envelopes/93be49ab-c128-4f19-8cd8-f6c8b4a8c3e5"}`},
			{activity: "create_recipient_view", input: map[string]any{"envelopeId": "93be49ab-c128-4f19-8cd8-f6c8b4a8c3e5", "return_url": "https://example.com/done",
				"email": "ann@example.com", "user_name": "Ann", "client_user_id": "1001"}, want: `{"url":"https://demo.docusign.net/Signing/MTRedeem/v1/4b4c1b9c?slt=eyJ0eXAi"}`},
		},
		poll: &standInPoll{object: "envelope", event: "completed", state: watermark, want: "93be49ab-c128-4f19-8cd8-f6c8b4a8c3e5"},
	})
}
