package secretcache

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"junction"
)

// DefaultRenewInterval is how often RunLeases looks for leased entries to
// renew when given no interval: well inside the shortest renewal lead worth
// having, and cheap, since a pass with nothing due only reads the index.
const DefaultRenewInterval = time.Second

// releaseTimeout bounds one release of a held lease.
const releaseTimeout = 10 * time.Second

// RunLeases calls RenewLeases every interval (DefaultRenewInterval when
// zero or less) until ctx ends. Freshness is decided by the cache's clock;
// the interval only sets how often it is looked at.
func (c *Cache) RunLeases(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultRenewInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.RenewLeases(ctx)
		}
	}
}

// RenewLeases does the lease work due now and returns when it is done:
//
//   - an entry whose lifetime the store's lease bounds, handed to a caller
//     since it was fetched, is read again once it is within a tenth of its
//     lifetime (at most a minute) of expiry, so that callers then find the
//     new value instead of waiting for the vault. An entry nobody used
//     simply expires. At most renewWorkers reads run at once, each shared
//     with any Get missing the same key. A failed read keeps the old value
//     until its own expiry, is tried again renewRetry later, and is logged
//     with the store's error, which never holds a secret;
//   - an expired entry holding something in its store is dropped;
//   - what dropped or replaced values held is released (Options.Release).
//
// RunLeases calls it on a ticker; tests call it after moving the clock.
func (c *Cache) RenewLeases(ctx context.Context) {
	type due struct {
		key string
		l   *lease
	}
	now := c.clock.Now()
	var todo []due
	var expired []string

	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return
	}
	for k, e := range c.entries {
		switch {
		case !now.Before(e.expires):
			if e.held != "" {
				expired = append(expired, k)
			}
		case e.lease != nil && !now.Before(e.lease.renewAt) && e.lease.used.Load():
			todo = append(todo, due{k, e.lease})
		}
	}
	c.mu.RUnlock()

	if len(todo) > 0 || len(expired) > 0 {
		c.mu.Lock()
		for _, k := range expired {
			if e, ok := c.entries[k]; ok && !now.Before(e.expires) {
				c.dropLocked(k, e)
			}
		}
		n := 0
		for _, d := range todo {
			// Whatever the outcome, the next try is a retry period away;
			// a renewal that succeeds replaces the entry and its lease.
			if e, ok := c.entries[d.key]; ok && e.lease == d.l {
				d.l.renewAt = now.Add(renewRetry)
				todo[n] = d
				n++
			}
		}
		todo = todo[:n]
		c.mu.Unlock()
	}

	inParallel(len(todo), func(i int) {
		d := todo[i]
		ch := c.flights.DoChan("get\x00"+d.key, func() (any, error) {
			return c.fetchAndStore(ctx, d.key, d.l.st, d.l.fetch, false)
		})
		select {
		case <-ctx.Done():
		case r := <-ch:
			if r.Err != nil {
				c.log.LogAttrs(ctx, slog.LevelWarn, "could not renew a leased secret before it runs out; the cached value is used until then",
					slog.String("error", junction.ErrorMessage(r.Err)))
				return
			}
			d.l.st.renewed.Add(1)
		}
	})

	c.mu.Lock()
	released := c.released
	c.released = nil
	c.mu.Unlock()
	if c.release == nil {
		return
	}
	inParallel(len(released), func(i int) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if err := c.release(rctx, released[i].key, released[i].lease); err != nil {
			c.log.LogAttrs(ctx, slog.LevelWarn, "could not release what a dropped secret held in its store; the store ends it when its time runs out",
				slog.String("error", junction.ErrorMessage(err)))
		}
	})
}

// inParallel calls do(0) ... do(n-1) on at most renewWorkers goroutines and
// returns when all are done.
func inParallel(n int, do func(i int)) {
	if n == 0 {
		return
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, renewWorkers) {
		wg.Go(func() {
			for i := range next {
				do(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
