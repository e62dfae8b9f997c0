package app

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"junction"
	"junction/connector"
	"junction/trigger"
)

// Triggers live in folders and follow the folder rule. A trigger watches an
// object event of a connection, which may sit in another folder: the
// caller must be able to use that connection (Connections.Execute), since
// the trigger reads the API with its credentials on their behalf. Webhook
// triggers get a URL with an unguessable token, kept sealed: the URL alone
// lets anyone send the trigger events (where the vendor signs nothing), so
// it is shown only to those who may edit the trigger, and others see only
// that it has one. Editors can rotate it. A webhook target's signing
// secret is kept sealed and never shown.

// Limits on what a trigger carries.
const (
	maxTargetSecretLen = 1024
	maxParametersBytes = 16 << 10
	maxQueueNameLen    = 100
)

// TriggerView is a trigger as the API shows it: with its intake URL when it
// is a webhook trigger and the caller may edit it.
type TriggerView struct {
	*junction.Trigger
	// WebhookURL is where the vendor sends events: <public URL>/hooks/<token>.
	// Only callers with Triggers.Edit on the trigger's folder see it.
	WebhookURL string `json:"webhook_url,omitempty"`
	// HasWebhookURL tells that the trigger has one, whether shown or not.
	HasWebhookURL bool `json:"has_webhook_url,omitempty"`
}

// Grace periods of a hook URL rotation: the old URL keeps working this
// long, so the vendor can be given the new one meanwhile.
const (
	// DefaultHookGracePeriod is none: a URL is mostly rotated because it
	// leaked, and then it must stop working at once. A planned change of
	// URL asks for a grace period.
	DefaultHookGracePeriod = time.Duration(0)
	// MaxHookGracePeriod bounds it: a leaked URL must not work for long.
	MaxHookGracePeriod = 7 * 24 * time.Hour
)

// TriggerTargetInput is where a trigger's jobs go: a queue (Name) or a
// webhook (URL and the Secret its deliveries are signed with).
type TriggerTargetInput struct {
	Type   junction.TargetType
	URL    string
	Name   string
	Secret *junction.Secret
}

// CreateTriggerInput describes a new trigger.
type CreateTriggerInput struct {
	FolderID string
	// Name is optional (see triggerName).
	Name         string
	ConnectionID string
	Object       string
	Event        string
	// Kind may be left out: polling when the event can be polled (it
	// needs nothing set up at the vendor), else webhook.
	Kind       junction.TriggerKind
	Filter     string
	Parameters map[string]any
	Target     TriggerTargetInput
}

// UpdateTriggerInput changes a trigger; nil members stay as they are. A
// Target replaces the target; a webhook target given without a secret keeps
// the one it has, when it had one.
type UpdateTriggerInput struct {
	// Name renames the trigger; "" takes its name away.
	Name       *string
	Filter     *string
	Parameters *map[string]any
	Target     *TriggerTargetInput
}

// TriggerQuery narrows ListTriggers.
type TriggerQuery struct {
	// FolderID keeps the triggers of that folder, or, with Subfolders,
	// of that folder and every folder below it.
	FolderID     string
	Subfolders   bool
	ConnectionID string
	NameContains string
	Kind         junction.TriggerKind
	Enabled      *bool
	junction.Page
}

// TriggerHistoryQuery narrows TriggerHistory.
type TriggerHistoryQuery struct {
	Status junction.TriggerRecordStatus
	Since  time.Time
	junction.Page
}

func (a *App) needTriggers() error {
	if a.triggers == nil || a.catalog == nil || a.keyring == nil {
		return junction.Internal(errors.New("app: no trigger runtime, catalog or keyring configured"))
	}
	return nil
}

// triggerIn loads a trigger for the caller with the folder rule applied.
func (a *App) triggerIn(ctx context.Context, st junction.Store, p *junction.Principal, id string, perm junction.Permission) (*junction.Trigger, error) {
	if !junction.ValidID(id) {
		return nil, junction.NotFound("trigger")
	}
	t, err := st.GetTrigger(ctx, p.TenantID(), id)
	if err != nil {
		return nil, err
	}
	if _, err := a.folderFor(ctx, st, p, t.FolderID, perm); err != nil {
		if junction.IsCode(err, junction.ENOTFOUND) {
			return nil, junction.NotFound("trigger")
		}
		return nil, err
	}
	return t, nil
}

// hookEditors tells, per folder, whether the caller may edit the triggers
// in it and so see their hook URLs; nil answers for every folder.
type hookEditors struct {
	a      *App
	p      *junction.Principal
	folder map[string]bool
}

func (a *App) hookEditors(p *junction.Principal) *hookEditors {
	return &hookEditors{a: a, p: p, folder: map[string]bool{}}
}

func (h *hookEditors) may(ctx context.Context, folderID string) (bool, error) {
	if h == nil {
		return true, nil
	}
	if ok, seen := h.folder[folderID]; seen {
		return ok, nil
	}
	_, err := h.a.folderFor(ctx, h.a.store, h.p, folderID, junction.PermTriggersEdit)
	switch {
	case err == nil:
		h.folder[folderID] = true
	case junction.IsCode(err, junction.EPERMISSIONDENIED) || junction.IsCode(err, junction.ENOTFOUND):
		h.folder[folderID] = false
	default:
		return false, err
	}
	return h.folder[folderID], nil
}

// view adds the intake URL to a webhook trigger when editors may see it
// (nil: the caller may edit, as the routes needing Triggers.Edit
// established).
func (a *App) view(ctx context.Context, t *junction.Trigger, editors *hookEditors) (*TriggerView, error) {
	v := &TriggerView{Trigger: t}
	if t.Kind != junction.TriggerWebhook || t.WebhookTokenSealedID == "" {
		return v, nil
	}
	v.HasWebhookURL = true
	if ok, err := editors.may(ctx, t.FolderID); err != nil || !ok {
		return v, err
	}
	tok, err := trigger.OpenWebhookToken(ctx, a.store, a.keyring, t)
	if err != nil {
		return nil, err
	}
	v.WebhookURL = a.HookURL(tok.Reveal())
	return v, nil
}

// HookURL is the intake URL of a webhook trigger with token.
func (a *App) HookURL(token string) string {
	return strings.TrimSuffix(a.publicURL, "/") + "/hooks/" + token
}

// triggerConnection checks that the caller may use the connection for a
// trigger. A connection the caller cannot see, or may not execute through,
// gives the same validation error as a missing one.
func (a *App) triggerConnection(ctx context.Context, p *junction.Principal, id string) (*junction.Connection, error) {
	if id == "" {
		return nil, junction.Invalid("connection_id", "is required")
	}
	c, err := a.connectionIn(ctx, a.store, p, id, junction.PermConnectionsExecute, false)
	if junction.IsCode(err, junction.ENOTFOUND) || junction.IsCode(err, junction.EPERMISSIONDENIED) {
		return nil, junction.Invalid("connection_id", "there is no connection %s that you may use (triggers need %s on the connection's folder)",
			quoteID(id), junction.PermConnectionsExecute)
	}
	return c, err
}

// triggerEvent finds the object event on the connector, listing the known
// ones when it is not there, and picks the kind.
func triggerEvent(def *connector.Definition, object, event string, kind junction.TriggerKind) (junction.TriggerKind, error) {
	if object == "" {
		return "", junction.Invalid("object", "is required; connector %s has events on %s", def.Key, eventObjects(def))
	}
	var events []string
	found := false
	for _, oe := range def.Events() {
		if oe.Object.Name == object {
			found = true
			events = append(events, oe.Event.Name)
		}
	}
	if !found {
		return "", junction.Invalid("object", "connector %s has no events on object %q; objects with events: %s", def.Key, object, eventObjects(def))
	}
	if event == "" {
		return "", junction.Invalid("event", "is required; object %s has events %s", object, strings.Join(events, ", "))
	}
	ev := def.Event(object, event)
	if ev == nil {
		return "", junction.Invalid("event", "object %s of connector %s has no event %q; it has %s", object, def.Key, event, strings.Join(events, ", "))
	}
	switch kind {
	case "":
		if ev.Polling != nil {
			return junction.TriggerPolling, nil
		}
		return junction.TriggerWebhook, nil
	case junction.TriggerPolling, junction.TriggerWebhook:
		return kind, nil
	}
	return "", junction.Invalid("kind", "must be polling or webhook, not %q", kind)
}

func eventObjects(def *connector.Definition) string {
	var names []string
	for _, oe := range def.Events() {
		if !slices.Contains(names, oe.Object.Name) {
			names = append(names, oe.Object.Name)
		}
	}
	if len(names) == 0 {
		return "(none: the connector has no events)"
	}
	return strings.Join(names, ", ")
}

// checkTarget checks the parts of a target the runtime does not: the
// secret, the queue name's form. It returns the target to store.
func checkTarget(in TriggerTargetInput, keepSecret bool) (junction.TriggerTarget, error) {
	out := junction.TriggerTarget{Type: in.Type}
	switch in.Type {
	case junction.TargetQueue:
		name := strings.TrimSpace(in.Name)
		if name == "" {
			return out, junction.Invalid("target.name", "a queue target needs a queue name")
		}
		if len(name) > maxQueueNameLen || !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return out, junction.Invalid("target.name", "must be at most %d printable characters", maxQueueNameLen)
		}
		if in.URL != "" || in.Secret != nil {
			return out, junction.Invalid("target", "a queue target takes a name only, not url or secret")
		}
		out.Name = name
	case junction.TargetWebhook:
		if strings.TrimSpace(in.URL) == "" {
			return out, junction.Invalid("target.url", "a webhook target needs a url")
		}
		if in.Name != "" {
			return out, junction.Invalid("target.name", "a webhook target takes url and secret, not a queue name")
		}
		switch {
		case in.Secret == nil && !keepSecret:
			return out, junction.Invalid("target.secret", "a webhook target needs a secret: deliveries are signed with it (X-Junction-Signature)")
		case in.Secret != nil && in.Secret.IsZero():
			return out, junction.Invalid("target.secret", "must not be empty")
		case in.Secret != nil && len(in.Secret.Reveal()) > maxTargetSecretLen:
			return out, junction.Invalid("target.secret", "must be at most %d bytes", maxTargetSecretLen)
		}
		out.URL = strings.TrimSpace(in.URL)
	case "":
		return out, junction.Invalid("target.type", "is required: webhook or queue")
	default:
		return out, junction.Invalid("target.type", "must be webhook or queue, not %q", in.Type)
	}
	return out, nil
}

// triggerName checks an optional trigger name: none, or a name as
// connections have.
func triggerName(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	return cleanName("name", s)
}

func checkParameters(params map[string]any) error {
	b, err := json.Marshal(params)
	if err != nil {
		return junction.Invalid("parameters", "must be a JSON object")
	}
	if len(b) > maxParametersBytes {
		return junction.Invalid("parameters", "must be at most %d bytes of JSON", maxParametersBytes)
	}
	return nil
}

// sealTargetSecret seals a webhook target's secret under the target's
// sealed ID, giving it one when it has none.
func (a *App) sealTargetSecret(t *junction.Trigger, secret junction.Secret) (*junction.SealedValue, error) {
	if t.Target.SealedID == "" {
		t.Target.SealedID = junction.NewID()
	}
	t.Target.SecretSet = true
	return trigger.SealTargetSecret(a.keyring, t.TenantID, t.Target.SealedID, secret)
}

// CreateTrigger creates an enabled trigger. Needs Triggers.Create on the
// folder and Connections.Execute on the connection's folder. Everything is
// checked before anything is stored: the object and event (the known ones
// are listed), the kind, the filter (CEL), the target (a webhook URL the
// outbound guard accepts, a secret; a queue name).
func (a *App) CreateTrigger(ctx context.Context, p *junction.Principal, in CreateTriggerInput) (*TriggerView, error) {
	if err := a.needTriggers(); err != nil {
		return nil, err
	}
	if in.FolderID == "" {
		return nil, junction.Invalid("folder_id", "is required")
	}
	name, err := triggerName(in.Name)
	if err != nil {
		return nil, err
	}
	if _, err := a.folderFor(ctx, a.store, p, in.FolderID, junction.PermTriggersCreate); err != nil {
		return nil, fieldNotFound(err, "folder_id")
	}
	conn, err := a.triggerConnection(ctx, p, in.ConnectionID)
	if err != nil {
		return nil, err
	}
	def, err := a.catalog.Definition(ctx, conn.TenantID, conn.Connector, conn.ConnectorVersion)
	if err != nil {
		return nil, junction.Invalid("connection_id", "the connection's connector %q is no longer in the catalog", conn.Connector)
	}
	kind, err := triggerEvent(def, in.Object, in.Event, in.Kind)
	if err != nil {
		return nil, err
	}
	target, err := checkTarget(in.Target, false)
	if err != nil {
		return nil, err
	}
	if err := checkParameters(in.Parameters); err != nil {
		return nil, err
	}
	now := a.now()
	t := &junction.Trigger{
		ID: junction.NewID(), TenantID: p.TenantID(), FolderID: in.FolderID, Name: name, ConnectionID: conn.ID,
		Connector: conn.Connector, Object: in.Object, Event: in.Event, Kind: kind, Filter: strings.TrimSpace(in.Filter),
		Parameters: in.Parameters, Target: target, Enabled: true, CreatedBy: p.User.ID, CreatedAt: now, UpdatedAt: now,
	}
	if err := a.triggers.Validate(ctx, t); err != nil {
		return nil, err
	}
	var sealed []*junction.SealedValue
	if in.Target.Type == junction.TargetWebhook {
		sv, err := a.sealTargetSecret(t, *in.Target.Secret)
		if err != nil {
			return nil, err
		}
		sealed = append(sealed, sv)
	}
	var token junction.Secret
	if kind == junction.TriggerWebhook {
		var hash []byte
		if token, hash, err = trigger.NewWebhookToken(); err != nil {
			return nil, err
		}
		t.WebhookTokenHash, t.WebhookTokenSealedID = hash, junction.NewID()
		sv, err := trigger.SealWebhookToken(a.keyring, t.TenantID, t.WebhookTokenSealedID, token)
		if err != nil {
			return nil, err
		}
		sealed = append(sealed, sv)
	}
	err = a.tx(ctx, func(tx junction.Store) error {
		if _, err := a.folderFor(ctx, tx, p, t.FolderID, junction.PermTriggersCreate); err != nil {
			return fieldNotFound(err, "folder_id")
		}
		if err := checkCountQuota(ctx, tx, t.TenantID, "triggers"); err != nil {
			return err
		}
		for _, sv := range sealed {
			if err := tx.PutSealed(ctx, sv); err != nil {
				return err
			}
		}
		if err := tx.CreateTrigger(ctx, t); err != nil {
			return fieldNotFound(err, "connection_id")
		}
		return a.audit(ctx, tx, p, "trigger.create", "trigger", t.ID, t.FolderID, triggerDetails(t, nil))
	})
	if err != nil {
		return nil, err
	}
	v := &TriggerView{Trigger: t}
	if kind == junction.TriggerWebhook {
		v.HasWebhookURL = true
		if ok, err := a.hookEditors(p).may(ctx, t.FolderID); err != nil {
			return nil, err
		} else if ok {
			v.WebhookURL = a.HookURL(token.Reveal())
		}
	}
	return v, nil
}

// triggerDetails describes a trigger for audit: never a secret or the
// webhook token.
func triggerDetails(t *junction.Trigger, changed []string) map[string]any {
	d := map[string]any{
		"connection_id": t.ConnectionID, "connector": t.Connector, "object": t.Object, "event": t.Event,
		"kind": string(t.Kind), "target_type": string(t.Target.Type), "enabled": t.Enabled,
	}
	if t.Target.URL != "" {
		d["target_url"] = t.Target.URL
	}
	if t.Target.Name != "" {
		d["target_name"] = t.Target.Name
	}
	if t.Name != "" {
		d["name"] = t.Name
	}
	if changed != nil {
		d["changed"] = changed
	}
	return d
}

// GetTrigger returns a trigger, with its intake URL for a webhook trigger
// when the caller may edit it. Needs Triggers.View on its folder.
func (a *App) GetTrigger(ctx context.Context, p *junction.Principal, id string) (*TriggerView, error) {
	if err := a.needTriggers(); err != nil {
		return nil, err
	}
	t, err := a.triggerIn(ctx, a.store, p, id, junction.PermTriggersView)
	if err != nil {
		return nil, err
	}
	return a.view(ctx, t, a.hookEditors(p))
}

// ListTriggers lists the triggers in folders where the caller holds
// Triggers.View, with the intake URLs of those it may edit.
func (a *App) ListTriggers(ctx context.Context, p *junction.Principal, q TriggerQuery) (List[*TriggerView], error) {
	var empty List[*TriggerView]
	if err := a.needTriggers(); err != nil {
		return empty, err
	}
	if err := checkCursor(q.Page); err != nil {
		return empty, err
	}
	if q.Kind != "" && q.Kind != junction.TriggerPolling && q.Kind != junction.TriggerWebhook {
		return empty, junction.Invalid("kind", "must be polling or webhook")
	}
	filter := junction.TriggerFilter{ConnectionID: q.ConnectionID, NameContains: q.NameContains, Kind: q.Kind, Enabled: q.Enabled, Page: q.Page.Normalize()}
	ids, all, err := a.folderScope(ctx, p, junction.PermTriggersView, q.FolderID, q.Subfolders)
	if err != nil {
		return empty, err
	}
	if !all {
		if len(ids) == 0 {
			return newList([]*TriggerView{}, q.Page, nil), nil
		}
		filter.FolderIDs = ids
	}
	ts, err := a.store.ListTriggers(ctx, p.TenantID(), filter)
	if err != nil {
		return empty, err
	}
	views := make([]*TriggerView, len(ts))
	editors := a.hookEditors(p)
	for i, t := range ts {
		if views[i], err = a.view(ctx, t, editors); err != nil {
			return empty, err
		}
	}
	return newList(views, q.Page, func(v *TriggerView) string { return v.ID }), nil
}

// UpdateTrigger changes a trigger's filter, parameters or target. Needs
// Triggers.Edit on its folder.
func (a *App) UpdateTrigger(ctx context.Context, p *junction.Principal, id string, in UpdateTriggerInput) (*TriggerView, error) {
	if err := a.needTriggers(); err != nil {
		return nil, err
	}
	if in.Parameters != nil {
		if err := checkParameters(*in.Parameters); err != nil {
			return nil, err
		}
	}
	cur, err := a.triggerIn(ctx, a.store, p, id, junction.PermTriggersEdit)
	if err != nil {
		return nil, err
	}
	next := *cur
	next.Parameters = maps.Clone(cur.Parameters)
	var changed []string
	if in.Name != nil {
		name, err := triggerName(*in.Name)
		if err != nil {
			return nil, err
		}
		if name != cur.Name {
			next.Name = name
			changed = append(changed, "name")
		}
	}
	if in.Filter != nil && strings.TrimSpace(*in.Filter) != cur.Filter {
		next.Filter = strings.TrimSpace(*in.Filter)
		changed = append(changed, "filter")
	}
	if in.Parameters != nil {
		next.Parameters = *in.Parameters
		changed = append(changed, "parameters")
	}
	var sealed *junction.SealedValue
	dropSecret := ""
	if in.Target != nil {
		keep := in.Target.Type == junction.TargetWebhook && cur.Target.Type == junction.TargetWebhook && cur.Target.SealedID != ""
		target, err := checkTarget(*in.Target, keep)
		if err != nil {
			return nil, err
		}
		target.SealedID, target.SecretSet = cur.Target.SealedID, cur.Target.SecretSet
		next.Target = target
		switch {
		case target.Type == junction.TargetWebhook && in.Target.Secret != nil:
			if sealed, err = a.sealTargetSecret(&next, *in.Target.Secret); err != nil {
				return nil, err
			}
		case target.Type == junction.TargetQueue && cur.Target.SealedID != "":
			dropSecret = cur.Target.SealedID
			next.Target.SealedID, next.Target.SecretSet = "", false
		}
		changed = append(changed, "target")
	}
	if len(changed) == 0 {
		return a.view(ctx, cur, nil)
	}
	if err := a.triggers.Validate(ctx, &next); err != nil {
		return nil, err
	}
	err = a.tx(ctx, func(tx junction.Store) error {
		// The trigger as it is now: the runtime may have counted
		// failures or set a baseline meanwhile.
		t, err := a.triggerIn(ctx, tx, p, id, junction.PermTriggersEdit)
		if err != nil {
			return err
		}
		t.Name, t.Filter, t.Parameters, t.Target = next.Name, next.Filter, next.Parameters, next.Target
		if sealed != nil {
			if err := tx.PutSealed(ctx, sealed); err != nil {
				return err
			}
		}
		if dropSecret != "" {
			if err := tx.DeleteSealed(ctx, t.TenantID, dropSecret); err != nil && !junction.IsCode(err, junction.ENOTFOUND) {
				return err
			}
		}
		t.UpdatedAt = a.now()
		if err := tx.UpdateTrigger(ctx, t); err != nil {
			return err
		}
		next = *t
		return a.audit(ctx, tx, p, "trigger.update", "trigger", t.ID, t.FolderID, triggerDetails(t, changed))
	})
	if err != nil {
		return nil, err
	}
	return a.view(ctx, &next, nil)
}

// SetTriggerEnabled turns a trigger on or off. Needs Triggers.Edit on its
// folder. Turning one on clears the failure count and the reason it was
// off, and, for a polling trigger, its baseline: records made while it was
// off are existing ones when it comes back, and fire nothing.
func (a *App) SetTriggerEnabled(ctx context.Context, p *junction.Principal, id string, enabled bool) (*TriggerView, error) {
	if err := a.needTriggers(); err != nil {
		return nil, err
	}
	var out *junction.Trigger
	err := a.tx(ctx, func(tx junction.Store) error {
		t, err := a.triggerIn(ctx, tx, p, id, junction.PermTriggersEdit)
		if err != nil {
			return err
		}
		out = t
		if t.Enabled == enabled {
			return nil
		}
		t.Enabled = enabled
		if enabled {
			t.DisabledReason, t.ConsecutiveFailures = "", 0
			if t.Kind == junction.TriggerPolling {
				t.BaselineAt = nil
			}
		} else {
			t.DisabledReason = ""
		}
		t.UpdatedAt = a.now()
		if err := tx.UpdateTrigger(ctx, t); err != nil {
			return err
		}
		action := "trigger.disable"
		if enabled {
			action = "trigger.enable"
		}
		return a.audit(ctx, tx, p, action, "trigger", t.ID, t.FolderID, triggerDetails(t, nil))
	})
	if err != nil {
		return nil, err
	}
	return a.view(ctx, out, nil)
}

// RotateTriggerHook gives a webhook trigger a new intake URL. The old one
// keeps working for grace (0 to MaxHookGracePeriod; DefaultHookGracePeriod
// is none), then answers like an unknown URL; a URL still in its grace
// period from an earlier rotation stops at once. Needs Triggers.Edit on
// its folder. The answer carries the new URL; the audit entry neither.
func (a *App) RotateTriggerHook(ctx context.Context, p *junction.Principal, id string, grace time.Duration) (*TriggerView, error) {
	if err := a.needTriggers(); err != nil {
		return nil, err
	}
	if grace < 0 || grace > MaxHookGracePeriod {
		return nil, junction.Invalid("grace_period", "must be between 0 and %s", MaxHookGracePeriod)
	}
	token, hash, err := trigger.NewWebhookToken()
	if err != nil {
		return nil, err
	}
	var out *junction.Trigger
	err = a.tx(ctx, func(tx junction.Store) error {
		t, err := a.triggerIn(ctx, tx, p, id, junction.PermTriggersEdit)
		if err != nil {
			return err
		}
		if t.Kind != junction.TriggerWebhook {
			return junction.Invalid("kind", "only webhook triggers have a hook URL to rotate")
		}
		if t.WebhookTokenSealedID == "" {
			t.WebhookTokenSealedID = junction.NewID()
		}
		sv, err := trigger.SealWebhookToken(a.keyring, t.TenantID, t.WebhookTokenSealedID, token)
		if err != nil {
			return err
		}
		if err := tx.PutSealed(ctx, sv); err != nil {
			return err
		}
		now := a.now()
		details := triggerDetails(t, nil)
		t.PreviousWebhookTokenHash, t.PreviousWebhookTokenExpiresAt = nil, nil
		if grace > 0 {
			retires := now.Add(grace)
			t.PreviousWebhookTokenHash, t.PreviousWebhookTokenExpiresAt = t.WebhookTokenHash, &retires
			details["previous_hook_expires_at"] = retires
		}
		details["grace_period"] = grace.String()
		t.WebhookTokenHash = hash
		t.UpdatedAt = now
		if err := tx.UpdateTrigger(ctx, t); err != nil {
			return err
		}
		out = t
		return a.audit(ctx, tx, p, "trigger.rotate_hook", "trigger", t.ID, t.FolderID, details)
	})
	if err != nil {
		return nil, err
	}
	v := &TriggerView{Trigger: out, HasWebhookURL: true, WebhookURL: a.HookURL(token.Reveal())}
	return v, nil
}

// DeleteTrigger deletes a trigger with its history, unprocessed events,
// jobs and sealed values. Needs Triggers.Delete on its folder.
func (a *App) DeleteTrigger(ctx context.Context, p *junction.Principal, id string) error {
	return a.tx(ctx, func(tx junction.Store) error {
		t, err := a.triggerIn(ctx, tx, p, id, junction.PermTriggersDelete)
		if err != nil {
			return err
		}
		if err := tx.DeleteTrigger(ctx, t.TenantID, t.ID); err != nil {
			return err
		}
		return a.audit(ctx, tx, p, "trigger.delete", "trigger", t.ID, t.FolderID, triggerDetails(t, nil))
	})
}

// TriggerHistory lists a trigger's history, oldest first. Needs
// Triggers.View on its folder.
func (a *App) TriggerHistory(ctx context.Context, p *junction.Principal, id string, q TriggerHistoryQuery) (List[*junction.TriggerRecord], error) {
	var empty List[*junction.TriggerRecord]
	if err := checkCursor(q.Page); err != nil {
		return empty, err
	}
	if q.Status != "" && !slices.Contains(junction.TriggerRecordStatuses, q.Status) {
		return empty, junction.Invalid("status", "must be one of %s", statusList())
	}
	t, err := a.triggerIn(ctx, a.store, p, id, junction.PermTriggersView)
	if err != nil {
		return empty, err
	}
	recs, err := a.store.ListTriggerRecords(ctx, p.TenantID(), junction.TriggerRecordFilter{
		TriggerID: t.ID, Status: q.Status, Since: q.Since, Page: q.Page.Normalize(),
	})
	if err != nil {
		return empty, err
	}
	return newList(recs, q.Page, func(r *junction.TriggerRecord) string { return r.ID }), nil
}

func statusList() string {
	names := make([]string, len(junction.TriggerRecordStatuses))
	for i, s := range junction.TriggerRecordStatuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// ReceiveWebhook hands a delivery sent to a trigger's intake URL to the
// runtime, which authenticates it by the token and the vendor's signature
// (see trigger.Runtime.Intake for the answers). It needs no caller.
//
// d.URL, as the request reached this server (a path and query), becomes
// the URL the vendor sent it to: the public URL of the hook with the same
// query, which signatures over the URL (HubSpot's) cover. A proxy in front
// may have rewritten the path; the public URL is what the vendor was given.
func (a *App) ReceiveWebhook(ctx context.Context, token string, d trigger.WebhookRequest) (*trigger.Response, error) {
	if err := a.needTriggers(); err != nil {
		return nil, err
	}
	u := a.HookURL(token)
	if _, query, ok := strings.Cut(d.URL, "?"); ok {
		u += "?" + query
	}
	d.URL = u
	return a.triggers.Intake(ctx, token, d)
}
