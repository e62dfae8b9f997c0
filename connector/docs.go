//go:generate go run ./internal/docgen ../docs/connectors

package connector

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Markdown renders a connector's reference page from its definition: what
// it connects to, the connection form, each auth scheme and where its
// credentials come from, the test request, every object operation and
// activity with inputs and outputs, and the trigger events with how to
// register the webhook. The page is generated so that it cannot drift from
// the definition; docs/connectors/<key>.md holds the built-in ones.
func Markdown(d *Definition) []byte {
	w := &mdWriter{}
	w.line("# %s", d.DisplayName)
	w.line("")
	w.line("<!-- Generated from the connector definition %q by `go generate ./connector`; do not edit. -->", d.Key)
	w.line("")
	if d.Description != "" {
		w.line("%s", oneLineText(d.Description))
		w.line("")
	}
	w.line("| | |")
	w.line("|---|---|")
	w.line("| Key | `%s` |", d.Key)
	w.line("| Version | %s |", d.Version)
	if len(d.Categories) > 0 {
		w.line("| Categories | %s |", strings.Join(d.Categories, ", "))
	}
	if d.BaseURL != "" {
		w.line("| Base URL | `%s` |", d.BaseURL)
	}
	if d.Documentation != "" {
		w.line("| Vendor documentation | <%s> |", d.Documentation)
	}
	w.line("")
	if len(d.Headers) > 0 {
		w.line("Every request carries %s.", codeList(headerLines(d.Headers)))
		w.line("")
	}

	if len(d.Fields) > 0 {
		w.line("## Connection fields")
		w.line("")
		w.line("Every auth type shares these fields.")
		w.line("")
		w.fields(d.Fields)
	}

	w.line("## Authentication")
	w.line("")
	for i := range d.Auth {
		w.auth(&d.Auth[i])
	}
	if d.Test != nil {
		w.line("## Connection test")
		w.line("")
		text := fmt.Sprintf("Testing a connection sends `%s`.", testLine(d.Test))
		var own []string
		for i := range d.Auth {
			if t := d.Auth[i].Test; t != nil {
				own = append(own, fmt.Sprintf("`%s` for auth type `%s`", testLine(t), d.Auth[i].Key()))
			}
		}
		if len(own) > 0 {
			text = fmt.Sprintf("Testing a connection sends `%s` (%s).", testLine(d.Test), strings.Join(own, "; "))
		}
		if d.AuthFailure != nil {
			text += " " + authFailureText(d.AuthFailure)
		}
		w.line("%s", text)
		w.line("")
	}

	if len(d.Objects) > 0 {
		w.line("## Objects")
		w.line("")
		for i := range d.Objects {
			w.object(&d.Objects[i])
		}
	}
	if len(d.Activities) > 0 || d.HTTPRequestEnabled() {
		w.line("## Activities")
		w.line("")
		for i := range d.Activities {
			a := &d.Activities[i]
			w.line("### %s", titleOr(a.DisplayName, a.Name))
			w.line("")
			if l := a.Link; l != nil {
				w.line("Activity `%s`: `%s` to the link given in `%s`, under the base URL%s.", a.Name, a.Method, l.Input, cutNote(l.Trim))
			} else {
				w.line("Activity `%s`: `%s %s`.", a.Name, a.Method, a.Path)
			}
			w.line("")
			w.operation(&a.Operation, true)
		}
		if d.HTTPRequestEnabled() && d.BaseURL != "" {
			w.line("### Any request")
			w.line("")
			w.line("Activity `%s` sends any method and path relative to the base URL with the connection's credentials, for the endpoints not listed above.", HTTPRequestActivity)
			w.line("")
		}
	}
	w.triggers(d)
	return []byte(strings.TrimRight(w.b.String(), "\n") + "\n")
}

// DocProblems lists what a definition lacks for its page to be useful to
// someone who did not write it: a description for every connection field,
// activity, operation input and trigger event, and registration help when
// the connector receives webhooks.
func DocProblems(d *Definition) []Problem {
	var out []Problem
	miss := func(path, what string) {
		out = append(out, Problem{Path: path, Message: what + " has no description"})
	}
	fields := func(p string, fs []Field) {
		for i, f := range fs {
			if strings.TrimSpace(f.Help) == "" {
				miss(fmt.Sprintf("%s[%d].help", p, i), "field "+f.Name)
			}
		}
	}
	inputs := func(p string, op *Operation) {
		for i, in := range op.Inputs {
			if strings.TrimSpace(in.Description) == "" {
				miss(fmt.Sprintf("%s.inputs[%d].description", p, i), "input "+in.Name)
			}
		}
	}
	fields("fields", d.Fields)
	for i := range d.Auth {
		fields(fmt.Sprintf("auth[%d].fields", i), d.Auth[i].Fields)
	}
	webhooks := false
	for i := range d.Objects {
		o := &d.Objects[i]
		for _, name := range OperationNames {
			if op := o.Operations.ByName(name); op != nil {
				inputs(fmt.Sprintf("objects[%d].operations.%s", i, name), op)
			}
		}
		for j, e := range o.Events {
			if strings.TrimSpace(e.Description) == "" {
				miss(fmt.Sprintf("objects[%d].events[%d].description", i, j), "event "+o.Name+"."+e.Name)
			}
			webhooks = webhooks || e.Webhook != nil
		}
	}
	for i := range d.Activities {
		a := &d.Activities[i]
		if strings.TrimSpace(a.Description) == "" {
			miss(fmt.Sprintf("activities[%d].description", i), "activity "+a.Name)
		}
		inputs(fmt.Sprintf("activities[%d]", i), &a.Operation)
	}
	if webhooks && (d.Webhooks == nil || strings.TrimSpace(d.Webhooks.Help) == "") {
		out = append(out, Problem{Path: "webhooks.help", Message: "the connector receives webhooks but does not say where to register them"})
	}
	return out
}

type mdWriter struct{ b strings.Builder }

func (w *mdWriter) line(format string, args ...any) {
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteByte('\n')
}

func (w *mdWriter) fields(fs []Field) {
	w.line("| Field | Type | Required | Description |")
	w.line("|---|---|---|---|")
	for _, f := range fs {
		desc := oneLineText(f.Help)
		if f.Label != "" && !strings.HasPrefix(desc, f.Label) {
			desc = joinText(f.Label+".", desc)
		}
		if f.Default != "" {
			desc = joinText(desc, fmt.Sprintf("Default `%s`.", f.Default))
		}
		if len(f.Options) > 0 {
			vals := make([]string, 0, len(f.Options))
			for _, o := range f.Options {
				vals = append(vals, o.Value)
			}
			desc = joinText(desc, "One of "+codeList(vals)+".")
		}
		w.line("| `%s` | %s | %s | %s |", f.Name, f.Type, yesNo(f.Required), cell(desc))
	}
	w.line("")
}

func (w *mdWriter) auth(a *Auth) {
	w.line("### %s", titleOr(a.Label, a.Key()))
	w.line("")
	w.line("Auth type `%s`: %s", a.Key(), authText(a))
	w.line("")
	if a.BaseURL != "" {
		w.line("Requests of this auth type go to `%s` instead of the base URL.", a.BaseURL)
		w.line("")
	}
	if a.Type == AuthOAuth2AuthorizationCode {
		w.line("Register `<public-url>/oauth/callback` as the redirect URI of the application at the vendor.")
		w.line("")
	}
	if lk := a.AfterConsent; lk != nil {
		w.line("%s", consentText(lk))
		w.line("")
	}
	if cp := a.ConsentPage; cp != nil {
		w.line("While the token endpoint answers `%s`, a person must first consent at `%s`: a test of the connection gives that address, filled in, and the connection's status says to open it.",
			cp.Error, consentPageText(cp))
		w.line("")
	}
	if t := dpopText(a.DPoP); t != "" {
		w.line("%s", t)
		w.line("")
	}
	if len(a.Fields) > 0 {
		w.fields(a.Fields)
	}
}

// consentText says what a consent lookup fills, and from what.
func consentText(lk *ConsentLookup) string {
	var fills []string
	for _, name := range sortedKeys(lk.Fill) {
		fills = append(fills, fmt.Sprintf("`%s` with the `%s`", name, lk.Fill[name]))
	}
	s := fmt.Sprintf("After consent, Junction asks `%s` with the new token and, where empty, fills %s of", lk.URL, strings.Join(fills, ", "))
	if m := lk.Match; m != nil {
		s += fmt.Sprintf(" the entry whose `%s` is `%s` or, without that, of", m.Path, m.Value)
	}
	return s + " the only entry in the answer; with several to choose from, the consent fails and names them."
}

func authText(a *Auth) string {
	switch a.Type {
	case AuthNone:
		return "no credentials."
	case AuthBasic:
		return fmt.Sprintf("HTTP Basic authentication with user `%s` and password `%s`.", orDefault(a.Username, "{username}"), orDefault(a.Password, "{password}"))
	case AuthBearer:
		return fmt.Sprintf("`Authorization: Bearer %s`.", orDefault(a.Token, "{token}"))
	case AuthAPIKey:
		where := "header"
		if a.In == "query" {
			where = "query parameter"
		} else if a.In != "header" {
			where = "header or query parameter (per `" + a.In + "`)"
		}
		return fmt.Sprintf("an API key sent as the %s `%s` = `%s`.", where, a.Name, orDefault(a.Value, "{api_key}"))
	case AuthOAuth2ClientCredentials:
		s := fmt.Sprintf("OAuth 2.0 client credentials; Junction obtains and renews the access token at `%s`", a.TokenURL)
		if len(a.TokenQuery) > 0 {
			var q []string
			for _, k := range sortedKeys(a.TokenQuery) {
				q = append(q, k+"="+a.TokenQuery[k])
			}
			s += " with " + codeList(q) + " in the token URL's query string"
		}
		if a.ClientAuth == ClientAuthPrivateKeyJWT {
			s += fmt.Sprintf(", authenticating the client with a JWT signed %s by the private key `%s` (private_key_jwt)", orDefault(a.SigningAlg, "RS256 or ES256"), a.PrivateKey)
		}
		return s + scopesText(a) + "."
	case AuthOAuth2JWTBearer:
		at := "the key's `token_uri`"
		if a.TokenURL != "" {
			at = "`" + a.TokenURL + "`"
		}
		s := fmt.Sprintf("OAuth 2.0 JWT bearer grant (RFC 7523); Junction signs a JWT %s with the private key `%s` and trades it for an access token at %s", orDefault(a.SigningAlg, "RS256 or ES256"), a.PrivateKey, at)
		if len(a.Claims) > 0 {
			var cl []string
			for _, k := range sortedKeys(a.Claims) {
				cl = append(cl, k+": "+a.Claims[k])
			}
			s += "; claims " + codeList(cl)
		}
		return s + scopesText(a) + "."
	case AuthOAuth2AuthorizationCode:
		s := fmt.Sprintf("OAuth 2.0 authorization code; the user consents at `%s`, Junction exchanges the code and refreshes the token at `%s`", a.AuthorizeURL, a.TokenURL)
		if a.PKCE {
			s += ", with PKCE"
		}
		return s + scopesText(a) + "."
	case AuthCustom:
		return fmt.Sprintf("credentials sent as %s.", codeList(append(headerLines(a.Headers), queryLines(a.Query)...)))
	}
	return string(a.Type) + "."
}

// dpopText explains the scheme's DPoP setting, "" when it has none.
func dpopText(dpop string) string {
	when := "Tokens are"
	switch name, lone := loneVar(dpop); {
	case dpop == "true":
	case lone:
		when = fmt.Sprintf("When `%s` is on, tokens are", name)
	default:
		return ""
	}
	return when + " bound to a key pair Junction keeps for the connection (DPoP, RFC 9449): token requests carry a DPoP proof, and a token the provider issues as `token_type: DPoP` is sent as `Authorization: DPoP <token>` with a proof of its own on each API request."
}

func scopesText(a *Auth) string {
	if len(a.Scopes) == 0 {
		return ""
	}
	return "; scopes " + codeList(a.Scopes)
}

func authFailureText(af *AuthFailure) string {
	status := af.Status
	if len(status) == 0 {
		status = []int{401}
	}
	parts := make([]string, 0, len(status))
	for _, s := range status {
		parts = append(parts, fmt.Sprint(s))
	}
	s := "Status " + strings.Join(parts, ", ")
	for _, m := range af.Body {
		var conds []string
		for _, c := range m.Match {
			conds = append(conds, fmt.Sprintf("`%s` is %s", c.Path, anyList(c.Values)))
		}
		s += ", or a body where " + strings.Join(conds, " and ")
	}
	return s + " means the credentials were refused: Junction re-reads vault-held secrets (or refreshes the OAuth token) and retries once."
}

func (w *mdWriter) object(o *Object) {
	w.line("### %s", titleOr(o.DisplayName, o.Name))
	w.line("")
	intro := fmt.Sprintf("Object `%s`.", o.Name)
	if o.Description != "" {
		intro += " " + oneLineText(o.Description)
	}
	w.line("%s", intro)
	w.line("")
	described := slices.ContainsFunc(o.Fields, func(f ObjectField) bool { return f.Description != "" })
	if len(o.Fields) > 0 && !described {
		names := make([]string, 0, len(o.Fields))
		for _, f := range o.Fields {
			names = append(names, fmt.Sprintf("`%s` (%s)", f.Name, f.Type))
		}
		w.line("Record fields: %s.", strings.Join(names, ", "))
		w.line("")
	}
	if described {
		w.line("| Record field | Type | Description |")
		w.line("|---|---|---|")
		for _, f := range o.Fields {
			w.line("| `%s` | %s | %s |", f.Name, f.Type, cell(f.Description))
		}
		w.line("")
	}
	for _, name := range OperationNames {
		op := o.Operations.ByName(name)
		if op == nil {
			continue
		}
		w.line("#### %s: `%s %s`", name, op.Method, op.Path)
		w.line("")
		w.operation(op, false)
	}
}

// operation writes an activity's or an object operation's reference; an
// activity says what following its pages does to its outputs.
func (w *mdWriter) operation(op *Operation, activity bool) {
	if op.Description != "" {
		w.line("%s", oneLineText(op.Description))
		w.line("")
	}
	if t := formatText(op); t != "" {
		w.line("%s", t)
		w.line("")
	}
	jsonHeader := map[string]string{}
	for _, name := range sortedKeys(op.JSONHeaders) {
		walkStrings(op.JSONHeaders[name], func(s string) {
			for _, n := range templateVars(s) {
				jsonHeader[n] = "header `" + name + "` (JSON)"
			}
		})
	}
	messagePart := map[string]string{}
	if m := op.MIMEMessage; m != nil {
		for _, s := range m.slots() {
			messagePart[s.input] = "message (" + messagePartName(s.attr) + ")"
		}
	}
	if len(op.Inputs) > 0 {
		w.line("| Input | Type | In | Required | Description |")
		w.line("|---|---|---|---|---|")
		for i := range op.Inputs {
			in := &op.Inputs[i]
			desc := oneLineText(in.Description)
			if in.Key != "" {
				desc = joinText(desc, fmt.Sprintf("Sent as `%s`.", in.Key))
			}
			if len(in.Enum) > 0 {
				desc = joinText(desc, "One of "+anyList(in.Enum)+".")
			}
			if in.Default != nil {
				desc = joinText(desc, fmt.Sprintf("Default `%v`.", in.Default))
			}
			where := inputIn(op, in)
			if h, ok := jsonHeader[in.Name]; ok {
				where = h
			}
			if h, ok := messagePart[in.Name]; ok {
				where = h
			}
			w.line("| `%s` | %s | %s | %s | %s |", in.Name, in.Type, where, yesNo(in.Required), cell(desc))
		}
		w.line("")
	}
	if op.Records != "" {
		w.line("The result is the value at `%s` of the response.", op.Records)
		w.line("")
	}
	if pg := op.Pagination; pg != nil {
		text := paginationText(pg)
		if activity {
			text += " An execution reads further pages only when it asks with `max_pages`; the outputs then hold the records of every page read, and the rest as the last page gave them."
		}
		w.line("%s", text)
		w.line("")
	}
	if len(op.Outputs) > 0 {
		w.line("| Output | Type | Description |")
		w.line("|---|---|---|")
		for _, o := range op.Outputs {
			desc := oneLineText(o.Description)
			if o.Path != "" && o.Path != o.Name {
				desc = joinText(desc, fmt.Sprintf("From `%s`.", o.Path))
			}
			w.line("| `%s` | %s | %s |", o.Name, o.Type, cell(desc))
		}
		w.line("")
	}
}

func paginationText(pg *Pagination) string {
	var s string
	switch pg.Type {
	case PageCursor:
		s = fmt.Sprintf("Pages by cursor: the next page sends `%s` from `%s` of the response", pg.CursorParam, pg.NextCursorPath)
		if pc := pg.Continue; pc != nil {
			body, _ := json.Marshal(pc.Body)
			s = fmt.Sprintf("Pages by cursor: the next page is `%s %s` with the body `%s`, `{cursor}` being `%s` of the response",
				pc.HTTPMethod(), pc.Path, body, pg.NextCursorPath)
		}
	case PageOffset:
		s = fmt.Sprintf("Pages by offset (`%s`)", pg.OffsetParam)
	case PageNumber:
		s = fmt.Sprintf("Pages by number (`%s`)", pg.PageParam)
		if pg.MaxPage > 0 {
			s += fmt.Sprintf(" up to page %d, the last the API serves", pg.MaxPage)
		}
	case PageLinkHeader:
		s = "Pages by following the `Link` header's `rel=\"next\"`"
	case PageNextURL:
		s = fmt.Sprintf("Pages by following the URL at `%s` of the response", pg.NextURLPath)
	default:
		s = "Pages (" + string(pg.Type) + ")"
	}
	if pg.LimitParam != "" && pg.PageSize > 0 {
		s += fmt.Sprintf(", %d records a page (`%s`)", pg.PageSize, pg.LimitParam)
	}
	return s + "."
}

func (w *mdWriter) triggers(d *Definition) {
	var rows []string
	webhooks := false
	for i := range d.Objects {
		o := &d.Objects[i]
		for _, e := range o.Events {
			var how []string
			if e.Polling != nil {
				p := "polling"
				if e.Polling.Interval != "" {
					p += ", every " + e.Polling.Interval
				}
				how = append(how, p)
			}
			if e.Webhook != nil {
				webhooks = true
				if len(e.Webhook.Types) > 0 {
					how = append(how, "webhook "+codeList(e.Webhook.Types))
				} else {
					how = append(how, "webhook (any delivery)")
				}
			}
			rows = append(rows, fmt.Sprintf("| `%s` | `%s` | %s | %s |", o.Name, e.Name, cell(strings.Join(how, "; ")), cell(oneLineText(e.Description))))
		}
	}
	if len(rows) == 0 {
		return
	}
	w.line("## Triggers")
	w.line("")
	w.line("| Object | Event | Delivered by | Description |")
	w.line("|---|---|---|---|")
	for _, r := range rows {
		w.line("%s", r)
	}
	w.line("")
	if !webhooks || d.Webhooks == nil {
		return
	}
	wh := d.Webhooks
	w.line("### Registering the webhook")
	w.line("")
	w.line("A webhook trigger has its own intake URL, `<public-url>/hooks/<token>`, shown when the trigger is created.")
	if wh.Help != "" {
		w.line("%s", oneLineText(wh.Help))
	}
	w.line("")
	if s := wh.Signature; s != nil {
		var text string
		switch {
		case s.Scheme == SignatureEd25519:
			text = fmt.Sprintf("Deliveries are verified with an Ed25519 signature in the `%s` header, checked with the public key in the connection field `%s`", s.Header, s.KeyField)
		case s.Scheme == SignaturePubSub:
			text = fmt.Sprintf("Deliveries are Google Cloud Pub/Sub pushes, verified by the Google-signed ID token in the `Authorization` header, which must name the service account in the connection field `%s`", s.KeyField)
		case s.Scheme == SignatureSNS:
			text = "Deliveries are Amazon SNS messages, verified with the certificate SNS signs them with (fetched from SNS's own address); a subscription is confirmed only for the connection's topic"
		case s.Scheme == SignatureBodyToken:
			text = fmt.Sprintf("Deliveries are verified by the shared secret every event carries at `%s`, compared with the connection field `%s`", s.Path, s.SecretField)
		case s.HandshakeSecret:
			text = fmt.Sprintf("Deliveries are verified with %s in the `%s` header, keyed by the secret the handshake handed over, which Junction keeps sealed for the trigger", signatureName(s.Scheme), s.Header)
		case s.Header == "":
			text = fmt.Sprintf("Deliveries are verified with %s, keyed by the connection field `%s`", signatureName(s.Scheme), s.SecretField)
		default:
			text = fmt.Sprintf("Deliveries are verified with %s in the `%s` header, keyed by the connection field `%s`", signatureName(s.Scheme), s.Header, s.SecretField)
		}
		if s.Timestamp != nil && s.Timestamp.Tolerance != "" {
			text += fmt.Sprintf("; deliveries signed more than %s from now are refused", s.Timestamp.Tolerance)
		}
		if s.Optional {
			text += "; unsigned deliveries are accepted while that field is empty"
		}
		w.line("%s.", text)
		if slices.Contains(templateVars(s.Payload), "url") {
			w.line("The signature covers the URL the delivery was sent to: Junction's public URL (`--public-url`) must be the one the vendor was given.")
		}
		w.line("")
	}
	if wh.Signature == nil {
		w.line("The vendor does not sign deliveries: the token in the intake URL is the only proof that one comes from it, so keep the URL secret.")
		w.line("")
	}
	if p := wh.Ping; p != nil && wh.Signature != nil {
		members := make([]string, 0, len(p.Form))
		for _, name := range sortedKeys(p.Form) {
			members = append(members, "`"+name+"`")
		}
		w.line("The unsigned ping the vendor sends when the webhook is saved (a form of %s only, without the `%s` header) is answered 200, fires nothing and shows as `ping` in the trigger's history; any other unsigned delivery is refused.",
			strings.Join(members, ", "), wh.Signature.Header)
		w.line("")
	}
	if wh.Format == WebhookFormatForm {
		w.line("Deliveries are forms (`application/x-www-form-urlencoded`), read as the JSON object their bracketed keys describe (`data[merges][FNAME]` is `data.merges.FNAME`).")
		w.line("")
	}
	if wh.EventsPath != "" {
		w.line("A delivery carries a batch of events (at `%s`); each event for the trigger makes its own job.", wh.EventsPath)
		if wh.EventID.Path != "" {
			w.line("An event already received (the same `%s`) makes no second job.", wh.EventID.Path)
		}
		w.line("")
	}
	if a := wh.Account; a != nil {
		w.line("The vendor sends the events of every account connected to its app to each URL: only events whose `%s` is the connection field `%s` are kept (all while that field is empty).", a.Path, a.Field)
		w.line("")
	}
}

func signatureName(scheme string) string {
	switch scheme {
	case SignatureHMACSHA256:
		return "an HMAC-SHA256 signature"
	case SignatureHMACSHA1:
		return "an HMAC-SHA1 signature"
	case SignatureToken:
		return "the shared secret"
	case SignatureMailgun:
		return "Mailgun's signature in the body"
	}
	return "the `" + scheme + "` signature scheme"
}

func headerLines(h map[string]string) []string {
	out := make([]string, 0, len(h))
	for _, k := range sortedKeys(h) {
		out = append(out, k+": "+h[k])
	}
	return out
}

func queryLines(q map[string]string) []string {
	out := make([]string, 0, len(q))
	for _, k := range sortedKeys(q) {
		out = append(out, "?"+k+"="+q[k])
	}
	return out
}

func codeList(vals []string) string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = "`" + v + "`"
	}
	return strings.Join(out, ", ")
}

func anyList(vals []any) string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = fmt.Sprint(v)
	}
	return codeList(out)
}

func titleOr(title, name string) string {
	if title != "" {
		return title
	}
	return name
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func joinText(a, b string) string {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	if !slices.Contains([]byte(".!?:"), a[len(a)-1]) {
		a += "."
	}
	return a + " " + b
}

// oneLineText folds the line breaks of a YAML block into spaces.
func oneLineText(s string) string { return strings.Join(strings.Fields(s), " ") }

// cell makes text safe inside a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(oneLineText(s), "|", `\|`) }

// formatText says, for an operation that is not plain JSON, where it is
// sent, how its body is encoded and whether its answer is a file.
func formatText(op *Operation) string {
	var parts []string
	if op.BaseURL != "" {
		parts = append(parts, fmt.Sprintf("Sent to `%s`.", op.BaseURL+op.Path))
	}
	switch op.BodyEncoding {
	case BodyMultipart:
		parts = append(parts, "The body is multipart/form-data: each file a part, the other inputs fields.")
	case BodyMultipartRelated:
		parts = append(parts, "The body is multipart/related: the metadata as JSON, then the file.")
	case BodyNDJSON:
		parts = append(parts, "The body is NDJSON (application/x-ndjson), one record a line.")
	case BodyBinary:
		parts = append(parts, "The body is the file's bytes.")
	}
	if m := op.MIMEMessage; m != nil {
		parts = append(parts, fmt.Sprintf("The inputs marked message build an email (RFC 5322 with MIME parts: text and HTML as alternatives, files as attachments) that is sent base64url-encoded as `%s`; give either `%s`, a whole message, or those inputs. Address inputs take a list as written in a header (`Ann <ann@example.com>, bob@example.com`) or an array. The message carries no Date or Message-ID: the service adds them.", m.Into, m.Into))
	}
	if cu := op.ChunkedUpload; cu != nil {
		parts = append(parts, chunkedUploadDoc(cu))
	}
	if op.OutputFile != nil {
		parts = append(parts, "The output is a file: `filename`, `content_type`, `size` and `content` in base64, or its bytes when the caller's Accept header names its type.")
	}
	return strings.Join(parts, " ")
}

// testLine is a test request as the docs show it: method and path.
func testLine(t *TestRequest) string {
	method := t.Method
	if method == "" {
		method = "GET"
	}
	return method + " " + t.Path
}

// messagePartName is the header or part an input of a message fills, as
// the docs name it.
func messagePartName(attr string) string {
	if h, ok := headerNames[attr]; ok {
		return h
	}
	switch attr {
	case "text":
		return "text/plain"
	case "html":
		return "text/html"
	}
	return attr
}

// chunkedUploadDoc says when and how an operation sends its file in
// chunks.
func chunkedUploadDoc(cu *ChunkedUpload) string {
	when := fmt.Sprintf("A `%s` larger than %d bytes", cu.File, cu.Above)
	if cu.Above == 0 {
		when = fmt.Sprintf("The `%s`", cu.File)
	}
	if cu.AboveInput != "" {
		when += fmt.Sprintf(" (or than `%s`, when given)", cu.AboveInput)
	}
	chunk := cu.ChunkSize
	if chunk == 0 {
		chunk = DefaultChunkSize
	}
	how := "a resumable upload (Content-Range), resumed from where the API says it stands after an interruption"
	switch cu.Style {
	case UploadSession:
		how = "an upload session (start, append, finish), whose offset the API's answers correct after an interruption"
	case UploadParts:
		size := fmt.Sprintf("of %d bytes", chunk)
		if cu.PartSize != "" {
			size = "of the size the session's start answers"
		}
		return fmt.Sprintf("%s is sent in an upload session: a start, parts %s each with its SHA-1 digest, and a commit of the parts with the whole file's digest, sent again after Retry-After while the API answers 202. Each request counts as an API call.", when, size)
	}
	return fmt.Sprintf("%s is sent in requests of %d bytes: %s. Each request counts as an API call.", when, chunk, how)
}

// consentPageText is a consent page's URL with its query as written,
// placeholders and all.
func consentPageText(cp *ConsentPage) string {
	var q []string
	for _, k := range sortedKeys(cp.Query) {
		q = append(q, k+"="+strings.ReplaceAll(cp.Query[k], " ", "%20"))
	}
	if len(q) == 0 {
		return cp.URL
	}
	return cp.URL + "?" + strings.Join(q, "&")
}

// cutNote says what a link's Trim cuts from the base URL.
func cutNote(trim string) string {
	if trim == "" {
		return ""
	}
	return fmt.Sprintf(" without its final `%s`", trim)
}
