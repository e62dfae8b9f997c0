package engine

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	executions  *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	dropped     prometheus.Counter
	flushErrors prometheus.Counter
}

// newMetrics makes the engine's collectors and registers them with reg
// when it is not nil. Labels are bounded: connector keys and activity names
// come from the catalog (an unknown activity is counted as "unknown"), and
// outcomes are error codes.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		executions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "junction_executions_total",
			Help: "Activity executions by connector, activity and outcome (succeeded or the error code).",
		}, []string{"connector", "activity", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "junction_execution_duration_seconds",
			Help:    "Time to run one activity, upstream calls and retries included.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 90},
		}, []string{"connector"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "junction_execution_records_dropped_total",
			Help: "Execution records not stored: refused by the database, abandoned by their caller while the write queue was full, or finished after the engine closed.",
		}),
		flushErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "junction_execution_record_flush_errors_total",
			Help: "Batches of execution records the database refused, then written record by record.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	// A second engine on the same registry shares the first one's
	// collectors rather than failing.
	var err error
	m.executions, err = register(reg, m.executions)
	if err == nil {
		m.duration, err = register(reg, m.duration)
	}
	if err == nil {
		m.dropped, err = register(reg, m.dropped)
	}
	if err == nil {
		m.flushErrors, err = register(reg, m.flushErrors)
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
