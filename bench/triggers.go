package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	hookSigningSecret = "bench-hook-signing-secret"
	targetSecret      = "bench-target-secret"
	recordsKey        = "bench-records-key"
)

// recordsConnector polls a loopback API's records by update time.
const recordsConnector = `key: records
display_name: Records
version: "1"
description: A loopback API the benchmark polls.
base_url: "{base_url}"
fields:
  - {name: base_url, type: text, required: true}
auth:
  - type: api_key
    in: header
    name: X-API-Key
    fields:
      - {name: api_key, type: secret, required: true}
objects:
  - name: record
    id_field: id
    operations:
      list:
        method: GET
        path: /records
        inputs:
          - {name: since, type: string}
        records: data
    events:
      - name: created
        polling:
          since: {input: since, format: rfc3339}
          id: id
          created: {path: created_at}
          updated: {path: updated_at}
          lookback: 1m
`

// receiver is a customer's endpoint for webhook target deliveries: it
// notes when each idempotency key first arrived.
type receiver struct {
	srv     *http.Server
	url     string
	mu      sync.Mutex
	arrived map[string]time.Time
	repeats int
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String() + "/in", arrived: map[string]time.Time{}}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		now := time.Now()
		key := req.Header.Get("Idempotency-Key")
		r.mu.Lock()
		if _, ok := r.arrived[key]; ok {
			r.repeats++
		} else {
			r.arrived[key] = now
		}
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) arrivedAt(key string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.arrived[key]
	return t, ok
}

// setUpWebhookTrigger creates a generic webhook connection and a trigger
// on it delivering to target, and returns the trigger's intake URL.
func setUpWebhookTrigger(c *client, target string) (string, error) {
	folder, err := firstFolder(c)
	if err != nil {
		return "", err
	}
	var conn struct {
		ID string `json:"id"`
	}
	if err := c.call(http.MethodPost, "/api/v1/connections?test=false", map[string]any{
		"folder_id": folder, "connector": "webhook", "name": "bench-hook",
		"fields": map[string]any{"signing_secret": hookSigningSecret},
	}, &conn); err != nil {
		return "", err
	}
	var tr struct {
		WebhookURL string `json:"webhook_url"`
	}
	if err := c.call(http.MethodPost, "/api/v1/triggers", map[string]any{
		"folder_id": folder, "connection_id": conn.ID, "object": "event", "event": "received",
		"target": map[string]any{"type": "webhook", "url": target, "secret": targetSecret},
	}, &tr); err != nil {
		return "", err
	}
	return tr.WebhookURL, nil
}

func firstFolder(c *client) (string, error) {
	var folders struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := c.call(http.MethodGet, "/api/v1/folders", nil, &folders); err != nil {
		return "", err
	}
	if len(folders.Items) == 0 {
		return "", errors.New("no folder to work in")
	}
	return folders.Items[0].ID, nil
}

// intakeLoad sends distinct signed events and notes when each was
// acknowledged, by the idempotency key the server gives it.
type intakeLoad struct {
	url  string
	http *http.Client
	n    atomic.Int64
	mu   sync.Mutex
	sent map[string]time.Time
}

func (l *intakeLoad) send(ctx context.Context) error {
	body := []byte(`{"type":"bench.event","n":` + strconv.FormatInt(l.n.Add(1), 10) + `}`)
	mac := hmac.New(sha256.New, []byte(hookSigningSecret))
	mac.Write(body)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, l.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature", hex.EncodeToString(mac.Sum(nil)))
	start := time.Now()
	if err := do(l.http, req, http.StatusOK); err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	l.mu.Lock()
	l.sent["webhook:"+hex.EncodeToString(sum[:])] = start
	l.mu.Unlock()
	return nil
}

// reportDeliveries waits for every acknowledged event to reach the
// receiver (at most three minutes) and prints how fast the backlog the
// intake scenario left was worked off. Then it sends events at a steady
// 20 a second for 5 seconds, below what the server works off, and prints
// the intake-to-delivery latency of those.
func reportDeliveries(l *intakeLoad, r *receiver) error {
	sent := l.take()
	lat, first, last := waitDelivered(sent, r, 3*time.Minute)
	r.mu.Lock()
	repeats := r.repeats
	r.mu.Unlock()
	fmt.Printf("\nwebhook backlog: %d of %d events delivered, %d repeated deliveries", len(lat), len(sent), repeats)
	if len(lat) > 0 {
		fmt.Printf("; worked off at %.0f events/s (first intake to last delivery %s)", float64(len(lat))/last.Sub(first).Seconds(),
			last.Sub(first).Round(time.Millisecond))
	}
	fmt.Println()

	ctx := context.Background()
	tick := time.NewTicker(50 * time.Millisecond)
	for range 100 {
		<-tick.C
		if err := l.send(ctx); err != nil {
			tick.Stop()
			return err
		}
	}
	tick.Stop()
	sent = l.take()
	lat, _, _ = waitDelivered(sent, r, time.Minute)
	fmt.Printf("webhook intake to delivery at 20 events/s: %d of %d delivered", len(lat), len(sent))
	if len(lat) > 0 {
		res := result{latencies: lat}
		fmt.Printf("; p50 %s, p90 %s, p99 %s, max %s", round(res.pct(0.5)), round(res.pct(0.9)), round(res.pct(0.99)),
			round(lat[len(lat)-1]))
	}
	fmt.Println()
	return nil
}

// take returns the events sent so far and forgets them.
func (l *intakeLoad) take() map[string]time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	sent := l.sent
	l.sent = map[string]time.Time{}
	return sent
}

// waitDelivered waits up to limit for the events to arrive and returns the
// latencies (sorted), the first send and the last arrival.
func waitDelivered(sent map[string]time.Time, r *receiver, limit time.Duration) (lat []time.Duration, first, last time.Time) {
	deadline := time.Now().Add(limit)
	for {
		lat, first, last = lat[:0], time.Time{}, time.Time{}
		for k, t0 := range sent {
			if first.IsZero() || t0.Before(first) {
				first = t0
			}
			if t1, ok := r.arrivedAt(k); ok {
				lat = append(lat, t1.Sub(t0))
				if t1.After(last) {
					last = t1
				}
			}
		}
		if len(lat) == len(sent) || time.Now().After(deadline) {
			slices.Sort(lat)
			return lat, first, last
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// recordsAPI is the loopback API the polling triggers read. Each
// connection has its own base path /c/<n>; it notes when each
// connection's lists arrive.
type recordsAPI struct {
	srv   *http.Server
	url   string
	mu    sync.Mutex
	polls map[string][]time.Time
}

func startRecordsAPI() (*recordsAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a := &recordsAPI{url: "http://" + ln.Addr().String(), polls: map[string][]time.Time{}}
	// One record, unchanged since an hour before the API started: the
	// first poll of each connection takes it as existing, and every later
	// poll finds nothing new. (A time that moved with each answer would
	// make every poll find a changed record and fire a job.)
	ts := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	a.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		conn, ok := strings.CutSuffix(r.URL.Path, "/records")
		if !ok || r.Header.Get("X-API-Key") != recordsKey {
			http.Error(w, `{"error":"no"}`, http.StatusUnauthorized)
			return
		}
		a.mu.Lock()
		a.polls[conn] = append(a.polls[conn], now)
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"data":[{"id":"r1","created_at":%q,"updated_at":%q}]}`, ts, ts)
	})}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

// runPolling creates n connections with a 1-minute poll interval and a
// polling trigger each, lets them run for the given minutes, and reports
// the server's CPU time and how late in each interval the polls arrived.
func runPolling(c *client, srv *server, n, minutes, concurrency int) error {
	api, err := startRecordsAPI()
	if err != nil {
		return err
	}
	defer api.srv.Close()
	folder, err := firstFolder(c)
	if err != nil {
		return err
	}
	fmt.Printf("\ncreating %d connections with a polling trigger each...\n", n)
	start := time.Now()
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) || firstErr.Load() != nil {
					return
				}
				var conn struct {
					ID string `json:"id"`
				}
				err := c.call(http.MethodPost, "/api/v1/connections?test=false", map[string]any{
					"folder_id": folder, "connector": "records", "name": "records-" + strconv.FormatInt(i, 10),
					"poll_interval_minutes": 1,
					"fields":                map[string]any{"base_url": api.url + "/c/" + strconv.FormatInt(i, 10), "api_key": recordsKey},
				}, &conn)
				if err == nil {
					err = c.call(http.MethodPost, "/api/v1/triggers", map[string]any{
						"folder_id": folder, "connection_id": conn.ID, "object": "record", "event": "created",
						"target": map[string]any{"type": "queue", "name": "bench"},
					}, nil)
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return err
	}
	fmt.Printf("created in %s; measuring %d minutes\n", time.Since(start).Round(time.Second), minutes)

	// Measure whole intervals, from the next minute on.
	time.Sleep(time.Until(time.Now().Truncate(time.Minute).Add(time.Minute)))
	from := time.Now()
	cpu0, err := cpuTime(srv.cmd.Process.Pid)
	if err != nil {
		return err
	}
	time.Sleep(time.Duration(minutes) * time.Minute)
	cpu1, err := cpuTime(srv.cmd.Process.Pid)
	if err != nil {
		return err
	}
	to := time.Now()

	api.mu.Lock()
	var late []time.Duration
	polled := map[time.Time]int{}
	for _, ts := range api.polls {
		for _, t := range ts {
			if t.Before(from) || !t.Before(to) {
				continue
			}
			slot := t.Truncate(time.Minute)
			polled[slot]++
			late = append(late, t.Sub(slot))
		}
	}
	api.mu.Unlock()
	slices.Sort(late)
	used := cpu1 - cpu0
	elapsed := to.Sub(from)
	fmt.Printf("\npolling: %d triggers on %d connections, 1-minute interval, %s measured\n", n, n, elapsed.Round(time.Second))
	var perMinute []string
	slots := make([]time.Time, 0, len(polled))
	for slot := range polled {
		slots = append(slots, slot)
	}
	slices.SortFunc(slots, time.Time.Compare)
	for _, slot := range slots {
		perMinute = append(perMinute, fmt.Sprintf("%s: %d", slot.Format("15:04"), polled[slot]))
	}
	fmt.Printf("polls per minute (want %d each): %s\n", n, strings.Join(perMinute, ", "))
	fmt.Printf("server CPU: %s in %s (%.0f%% of one core)\n", used.Round(10*time.Millisecond), elapsed.Round(time.Second),
		100*used.Seconds()/elapsed.Seconds())
	if len(late) > 0 {
		r := result{latencies: late}
		fmt.Printf("poll start after the interval began: p50 %s, p90 %s, p99 %s, max %s\n",
			round(r.pct(0.5)), round(r.pct(0.9)), round(r.pct(0.99)), round(late[len(late)-1]))
	}
	return nil
}

// cpuTime is the user and system CPU time a process has used so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("read the server's CPU time: %w", err)
	}
	// Fields after the command name, which is in parentheses.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("unexpected /proc stat format")
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	// Clock ticks are 100 per second on Linux.
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}
