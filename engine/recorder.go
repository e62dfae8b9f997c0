package engine

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"junction"
)

// recorder writes execution records in batches from one goroutine, so an
// execution pays a channel send for its record and the database sees one
// transaction per batch instead of one per execution. When the database
// falls behind, the queue fills and executions wait for room: a record is
// never dropped to keep an execution fast.
type recorder struct {
	opts recorderOptions

	mu     sync.RWMutex // held for reading while sending, for writing to close
	closed bool
	// giveUp is when, once closing, retries end (Unix nanoseconds; zero
	// while running). It is set before close waits for the senders, so a
	// sender waiting for room behind a database that does not answer
	// holds Close up for the grace period at most.
	giveUp atomic.Int64
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

const (
	// writeTimeout bounds one attempt at writing a batch or a record; the
	// recorder does not run on any caller's context.
	writeTimeout = 30 * time.Second
	// closeGrace is how long Close keeps retrying records the database
	// fails to take for a reason that may pass (it is unreachable, busy);
	// after it the records left are dropped, counted and logged.
	closeGrace = 30 * time.Second
	// retryBackoff and maxRetryBackoff space the attempts at one record.
	retryBackoff    = 50 * time.Millisecond
	maxRetryBackoff = 5 * time.Second
	// refusedAfter is how many attempts at one record fail, with the
	// database answering, before the record counts as refused.
	refusedAfter = 5
)

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

// record queues a record, waiting for room while the queue is full: that
// slows executions down to the pace of the database rather than losing
// their records. It gives up only when ctx ends first (the caller went
// away: its record is dropped, counted and logged) or the recorder is
// closed.
func (r *recorder) record(ctx context.Context, e *junction.Execution) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		r.opts.dropped.Inc()
		return
	}
	// Room in the queue wins over a context already done: a cancelled
	// execution is recorded like any other.
	select {
	case r.queue <- e:
		return
	default:
	}
	select {
	case r.queue <- e:
	case <-ctx.Done():
		r.opts.dropped.Inc()
		r.opts.logger.LogAttrs(ctx, slog.LevelError, "execution record dropped: the caller gave up while the write queue was full",
			slog.String("execution_id", e.ID), slog.String("error", ctx.Err().Error()))
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
// Senders waiting for room hold the read lock, and the loop keeps taking
// records until close holds the write lock, so they all get in first.
func (r *recorder) close() error {
	r.giveUp.CompareAndSwap(0, time.Now().Add(closeGrace).UnixNano())
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

// write stores one batch in one transaction. When the database refuses the
// batch, the records are written one by one, each retried while its error
// may pass, so one bad record (its tenant deleted meanwhile) costs nothing
// but itself and an outage costs nothing at all: the loop waits for the
// database, the queue fills and executions wait for room. Only records the
// database refuses outright are dropped, logged and counted; and, once
// closing, those still failing after the grace period.
func (r *recorder) write(batch []*junction.Execution) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	err := r.opts.store.AppendExecutions(ctx, batch)
	cancel()
	if err == nil {
		return nil
	}
	r.opts.flushErrs.Inc()
	r.opts.logger.Warn("write execution records: batch refused, writing one by one",
		slog.Int("records", len(batch)), slog.String("error", err.Error()))
	var first error
	for _, e := range batch {
		if err := r.writeOne(e); err != nil {
			r.opts.dropped.Inc()
			r.opts.logger.Error("execution record dropped", slog.String("execution_id", e.ID), slog.String("error", err.Error()))
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// writeOne stores one record, retrying with backoff until it is stored or
// refused. A record is refused when the database says it breaks a rule
// (the tenant is gone, the ID is taken) or keeps failing it while
// answering otherwise; while the database does not answer, the record
// waits, until the grace period of Close ends.
func (r *recorder) writeOne(e *junction.Execution) error {
	backoff := retryBackoff
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		err := r.opts.store.AppendExecution(ctx, e)
		cancel()
		if err == nil {
			return nil
		}
		switch junction.ErrorCode(err) {
		case junction.ENOTFOUND, junction.ECONFLICT, junction.EINVALID:
			return err
		}
		if attempt >= refusedAfter && r.answers() {
			return err
		}
		if end := r.giveUp.Load(); end != 0 && time.Now().Add(backoff).UnixNano() > end {
			return err
		}
		if attempt == 1 || attempt%refusedAfter == 0 {
			r.opts.logger.Warn("write execution record: retrying", slog.String("execution_id", e.ID),
				slog.Int("attempt", attempt), slog.String("error", err.Error()))
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, maxRetryBackoff)
	}
}

// answers reports whether the database answers a ping. A store that
// cannot be pinged is taken to answer, so a record it keeps failing is
// refused rather than retried for ever.
func (r *recorder) answers() bool {
	p, ok := r.opts.store.(interface{ Ping(context.Context) error })
	if !ok {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	return p.Ping(ctx) == nil
}
