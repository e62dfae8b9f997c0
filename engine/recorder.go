package engine

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"junction"
)

// recorder writes execution records in batches from one goroutine, so an
// execution pays a channel send for its record and the database sees one
// transaction per batch instead of one per execution.
type recorder struct {
	opts recorderOptions

	mu     sync.RWMutex // held for reading while sending, for writing to close
	closed bool
	queue  chan *junction.Execution
	flushc chan chan error
	stop   chan struct{}
	done   chan error
}

type recorderOptions struct {
	store     junction.Store
	logger    *slog.Logger
	batch     int
	interval  time.Duration
	queue     int
	dropped   prometheus.Counter
	flushErrs prometheus.Counter
}

// writeTimeout bounds the write of one batch; the recorder does not run on
// any caller's context.
const writeTimeout = 30 * time.Second

func newRecorder(o recorderOptions) *recorder {
	r := &recorder{
		opts:   o,
		queue:  make(chan *junction.Execution, o.queue),
		flushc: make(chan chan error),
		stop:   make(chan struct{}),
		done:   make(chan error, 1),
	}
	go r.loop()
	return r
}

// add queues a record without ever waiting: a full queue drops it.
func (r *recorder) add(e *junction.Execution) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		r.opts.dropped.Inc()
		return
	}
	select {
	case r.queue <- e:
	default:
		r.opts.dropped.Inc()
		r.opts.logger.Warn("execution record dropped: write queue full", slog.String("execution_id", e.ID))
	}
}

// flush writes everything queued before the call.
func (r *recorder) flush(ctx context.Context) error {
	ack := make(chan error, 1)
	select {
	case r.flushc <- ack:
	case <-r.stop:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-ack:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops accepting records, writes those queued and waits for it.
func (r *recorder) close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	close(r.stop)
	return <-r.done
}

func (r *recorder) loop() {
	ticker := time.NewTicker(r.opts.interval)
	defer ticker.Stop()
	batch := make([]*junction.Execution, 0, r.opts.batch)
	write := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := r.write(batch)
		clear(batch)
		batch = batch[:0]
		return err
	}
	// drain takes what is already queued, writing full batches.
	drain := func() error {
		var first error
		for {
			select {
			case e := <-r.queue:
				batch = append(batch, e)
				if len(batch) >= r.opts.batch {
					if err := write(); err != nil && first == nil {
						first = err
					}
				}
			default:
				if err := write(); err != nil && first == nil {
					first = err
				}
				return first
			}
		}
	}
	for {
		select {
		case e := <-r.queue:
			batch = append(batch, e)
			if len(batch) >= r.opts.batch {
				_ = write()
			}
		case <-ticker.C:
			_ = write()
		case ack := <-r.flushc:
			ack <- drain()
		case <-r.stop:
			// No sender is left (close took the lock after the last one).
			r.done <- drain()
			return
		}
	}
}

// write stores one batch in one transaction. Records the database refuses
// are logged and counted, not retried: the executions already happened.
func (r *recorder) write(batch []*junction.Execution) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	err := r.opts.store.AppendExecutions(ctx, batch)
	if err == nil {
		return nil
	}
	// One bad record (its connection deleted meanwhile) must not cost the
	// batch: write them one by one and drop only those refused.
	failed := 0
	for _, e := range batch {
		if err := r.opts.store.AppendExecution(ctx, e); err != nil {
			failed++
			r.opts.dropped.Inc()
		}
	}
	if failed == 0 {
		return nil
	}
	r.opts.flushErrs.Inc()
	r.opts.logger.Error("write execution records", slog.Int("records", len(batch)), slog.Int("dropped", failed), slog.String("error", err.Error()))
	return err
}
