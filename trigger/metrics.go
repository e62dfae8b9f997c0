package trigger

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"junction"
)

// metrics are the runtime's collectors. Every label has a fixed set of
// values; none names a tenant, trigger or connection.
type metrics struct {
	events     *prometheus.CounterVec
	intake     *prometheus.CounterVec
	polls      *prometheus.CounterVec
	pollDelay  prometheus.Histogram
	deliveries *prometheus.CounterVec
}

// Intake results, the values of the result label of
// junction_trigger_webhook_intake_total.
const (
	intakeAccepted     = "accepted"      // stored, acknowledged without keeping, or a handshake answered
	intakeBadSignature = "bad_signature" // missing or wrong signature, or a stale timestamp
	intakeTooLarge     = "too_large"
	intakeInvalid      = "invalid"   // a body the connector cannot read
	intakeNotFound     = "not_found" // no webhook trigger has the token
	intakeError        = "error"     // the server could not store it; the vendor retries
)

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "junction_trigger_events_total",
			Help: "Events handled by triggers, by the outcome recorded in their history (fired, skipped, failed, disabled, duplicate, rejected_signature, ping).",
		}, []string{"outcome"}),
		intake: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "junction_trigger_webhook_intake_total",
			Help: "Webhook deliveries received from vendors, by result (accepted, bad_signature, too_large, invalid, not_found, error).",
		}, []string{"result"}),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "junction_trigger_polls_total",
			Help: "Polls of a connection's object event for one interval, by result (ok, failed).",
		}, []string{"result"}),
		pollDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "junction_trigger_poll_start_delay_seconds",
			Help:    "Time from the start of a poll's interval to the start of the poll.",
			Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 15, 30, 60, 120, 300},
		}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "junction_trigger_deliveries_total",
			Help: "Delivery attempts of jobs to webhook targets, by result (ok, retried: failed with attempts left, failed: given up).",
		}, []string{"result"}),
	}
	// Pre-create the series so that a rate over zero is zero, not absent.
	for _, o := range junction.TriggerRecordStatuses {
		m.events.WithLabelValues(outcomeLabel(o))
	}
	for _, r := range []string{intakeAccepted, intakeBadSignature, intakeTooLarge, intakeInvalid, intakeNotFound, intakeError} {
		m.intake.WithLabelValues(r)
	}
	m.polls.WithLabelValues("ok")
	m.polls.WithLabelValues("failed")
	for _, r := range []string{"ok", "retried", "failed"} {
		m.deliveries.WithLabelValues(r)
	}
	if reg == nil {
		return m, nil
	}
	// A second runtime on the same registry (tests, two servers in one
	// process) shares the first one's collectors rather than failing.
	var err error
	m.events, err = register(reg, m.events)
	if err == nil {
		m.intake, err = register(reg, m.intake)
	}
	if err == nil {
		m.polls, err = register(reg, m.polls)
	}
	if err == nil {
		m.pollDelay, err = register(reg, m.pollDelay)
	}
	if err == nil {
		m.deliveries, err = register(reg, m.deliveries)
	}
	return m, err
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

// outcomeLabel is a history status as a label value: "disabled" rather
// than the long reason TriggerDisabled carries.
func outcomeLabel(s junction.TriggerRecordStatus) string {
	if s == junction.TriggerDisabled {
		return "disabled"
	}
	return string(s)
}

// tally counts the history records a transaction appends, so that they
// reach the metrics only once it has committed.
type tally map[junction.TriggerRecordStatus]int

func (t *tally) add(s junction.TriggerRecordStatus) {
	if *t == nil {
		*t = tally{}
	}
	(*t)[s]++
}

// count adds a committed tally to the events counter.
func (m *metrics) count(t tally) {
	for s, n := range t {
		m.events.WithLabelValues(outcomeLabel(s)).Add(float64(n))
	}
}
