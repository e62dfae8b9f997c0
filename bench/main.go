// Command bench measures Junction end to end on this machine and prints a
// table. It builds the real junction binary, starts it on loopback with a
// fresh data directory, and compares each scenario against a baseline
// measured in the same run:
//
//   - direct: a client calling a loopback upstream API itself;
//   - execute: the same call made through Junction as an http_request
//     execution, with the API key coming from a credential asset (cache warm);
//   - webhook intake: signed events POSTed to a webhook trigger, each
//     delivered, signed, to a loopback receiver; besides the intake
//     latency it reports the time from intake to delivery.
//
// With -polling-triggers N it then runs N polling triggers, each on a
// connection of its own with a 1-minute interval, against a loopback API
// for -polling-minutes, and reports the CPU the server used and how late
// after the start of each interval the polls reached the API.
//
// After the concurrent scenarios it measures the direct call and the
// execution again from a single client, one call at a time, alternating
// between the two: the latency an execution adds when nothing queues.
//
// Run it with `go run ./bench` (flags: -duration, -concurrency, -keep,
// -polling-triggers, -polling-minutes).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long each scenario runs")
	concurrency := flag.Int("concurrency", 8, "concurrent clients per scenario")
	keep := flag.Bool("keep", false, "keep the data directory and server log")
	pollingTriggers := flag.Int("polling-triggers", 0, "polling triggers to run after the request scenarios (0: none)")
	pollingMinutes := flag.Int("polling-minutes", 3, "minutes to measure the polling triggers for")
	webhooksOnly := flag.Bool("webhooks-only", false, "measure only webhook intake and delivery (skip the http_request scenarios)")
	flag.Parse()
	if target := os.Getenv(proxyEnv); target != "" {
		if err := serveProxy(target); err != nil {
			fmt.Fprintln(os.Stderr, "bench proxy:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*duration, *concurrency, *keep, *webhooksOnly, *pollingTriggers, *pollingMinutes); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// result is one scenario's measurements.
type result struct {
	name      string
	requests  int
	errors    int64
	elapsed   time.Duration
	latencies []time.Duration
}

func (r result) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(p * float64(len(r.latencies)-1))
	return r.latencies[i]
}

func run(duration time.Duration, concurrency int, keep, webhooksOnly bool, pollingTriggers, pollingMinutes int) error {
	dir, err := os.MkdirTemp("", "junction-bench-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	} else {
		fmt.Fprintln(os.Stderr, "data and log in", dir)
	}

	bin := filepath.Join(dir, "junction")
	build := exec.Command("go", "build", "-o", bin, "./cmd/junction")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build junction: %w", err)
	}

	apiKey := randomHex(24)
	upstream, upstreamURL, err := startUpstream(apiKey)
	if err != nil {
		return err
	}
	defer upstream.Close()

	connectors := filepath.Join(dir, "connectors")
	if err := os.MkdirAll(connectors, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(connectors, "records.yaml"), []byte(recordsConnector), 0o600); err != nil {
		return err
	}
	srv, err := startJunction(bin, dir, "--connectors-dir", connectors)
	if err != nil {
		return err
	}
	defer srv.stop()

	c := &client{base: srv.url, token: srv.token, http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency * 2}}}
	connID, err := setUp(c, upstreamURL, apiKey)
	if err != nil {
		return err
	}

	proxy, proxyURL, err := startProxy(upstreamURL)
	if err != nil {
		return err
	}
	defer proxy.stop()

	receiver, err := startReceiver()
	if err != nil {
		return err
	}
	defer receiver.srv.Close()
	hookURL, err := setUpWebhookTrigger(c, receiver.url)
	if err != nil {
		return err
	}
	intake := &intakeLoad{url: hookURL, http: direct(concurrency), sent: map[string]time.Time{}}

	executeBody := []byte(`{"activity":"http_request","input":{"method":"GET","path":"/items"}}`)
	directClient, proxyClient := direct(concurrency), direct(concurrency)
	scenarios := []scenario{
		{"direct call to the upstream", func(ctx context.Context) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, upstreamURL+"/items", nil)
			req.Header.Set("X-API-Key", apiKey)
			return do(directClient, req, http.StatusOK)
		}},
		{"http_request through Junction", func(ctx context.Context) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/v1/connections/"+connID+"/execute", bytes.NewReader(executeBody))
			req.Header.Set("Authorization", "Bearer "+c.token)
			req.Header.Set("Content-Type", "application/json")
			return do(c.http, req, http.StatusOK)
		}},
		{"bare reverse proxy to the upstream", func(ctx context.Context) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, proxyURL+"/items", nil)
			req.Header.Set("X-API-Key", apiKey)
			return do(proxyClient, req, http.StatusOK)
		}},
		{"webhook intake (delivered to a receiver)", intake.send},
	}

	if webhooksOnly {
		scenarios = scenarios[3:]
	}
	var results []result
	for _, s := range scenarios {
		// Warm up connections and the secret cache first.
		if _, err := load(s.call, concurrency, time.Second); err != nil {
			return fmt.Errorf("%s: warm-up: %w", s.name, err)
		}
		r, err := load(s.call, concurrency, duration)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		r.name = s.name
		results = append(results, r)
	}

	printTable(results, duration, concurrency)
	if !webhooksOnly {
		if err := printSerialLatency(duration, scenarios[0], scenarios[1], scenarios[2]); err != nil {
			return err
		}
	}
	if err := reportDeliveries(intake, receiver); err != nil {
		return err
	}
	if pollingTriggers > 0 {
		return runPolling(c, srv, pollingTriggers, pollingMinutes, concurrency)
	}
	return nil
}

func direct(concurrency int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency * 2}}
}

// load runs call from concurrency goroutines for d and collects latencies.
func load(call func(context.Context) error, concurrency int, d time.Duration) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var (
		mu       sync.Mutex
		all      []time.Duration
		errCount atomic.Int64
		firstErr atomic.Value
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for ctx.Err() == nil {
				t0 := time.Now()
				err := call(ctx)
				if ctx.Err() != nil {
					break
				}
				if err != nil {
					errCount.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(all)
	r := result{requests: len(all), errors: errCount.Load(), elapsed: elapsed, latencies: all}
	if len(all) == 0 {
		if err, ok := firstErr.Load().(error); ok {
			return r, err
		}
		return r, errors.New("no request completed")
	}
	return r, nil
}

func printTable(rs []result, d time.Duration, concurrency int) {
	fmt.Printf("Junction benchmark: %d concurrent clients, %s per scenario, GOMAXPROCS=%d, %s/%s\n\n",
		concurrency, d, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "scenario\trequests\terrors\treq/s\tp50\tp90\tp99\t")
	for _, r := range rs {
		fmt.Fprintf(w, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t\n", r.name, r.requests, r.errors, r.rate(),
			round(r.pct(0.50)), round(r.pct(0.90)), round(r.pct(0.99)))
	}
	w.Flush()
	if len(rs) >= 3 {
		base, via, proxy := rs[0], rs[1], rs[2]
		fmt.Printf("\nthroughput through Junction: %.0f%% of direct (bare reverse proxy: %.0f%%)\n",
			100*via.rate()/base.rate(), 100*proxy.rate()/base.rate())
		fmt.Printf("added median latency: %s (bare reverse proxy: %s)\n",
			round(via.pct(0.5)-base.pct(0.5)), round(proxy.pct(0.5)-base.pct(0.5)))
	}
}

func round(d time.Duration) time.Duration {
	if d > time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// startUpstream serves a small JSON API that insists on the API key.
func startUpstream(apiKey string) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	body := []byte(`{"items":[{"id":1,"name":"alpha"},{"id":2,"name":"beta"}]}`)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != apiKey {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})}
	go func() { _ = srv.Serve(ln) }()
	return srv, "http://" + ln.Addr().String(), nil
}

type server struct {
	cmd   *exec.Cmd
	url   string
	token string
	log   *os.File
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	_ = s.cmd.Wait()
	_ = s.log.Close()
}

// startJunction runs the binary on a free loopback port and waits until it
// is ready.
func startJunction(bin, dir string, extra ...string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	token := "bench-" + randomHex(24)
	cmd := exec.Command(bin, "serve", "--listen", addr, "--data-dir", filepath.Join(dir, "data"),
		"--outbound-allow", "127.0.0.0/8", "--log-level", "warn")
	cmd.Args = append(cmd.Args, extra...)
	cmd.Env = append(os.Environ(), "JUNCTION_BOOTSTRAP_TOKEN="+token)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, url: "http://" + addr, token: token, log: logf}
	for range 200 {
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("junction did not become ready; see %s", logf.Name())
}

type client struct {
	base, token string
	http        *http.Client
}

func (c *client) call(method, path string, body, out any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// setUp creates a secret asset holding the API key and an http connection
// that takes its api_key from that asset.
func setUp(c *client, upstreamURL, apiKey string) (string, error) {
	var folders struct {
		Items []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	if err := c.call(http.MethodGet, "/api/v1/folders", nil, &folders); err != nil {
		return "", err
	}
	if len(folders.Items) == 0 {
		return "", errors.New("no folder to work in")
	}
	folder := folders.Items[0].ID
	var asset struct {
		ID string `json:"id"`
	}
	if err := c.call(http.MethodPost, "/api/v1/assets", map[string]any{
		"folder_id": folder, "name": "bench-api-key", "type": "secret", "value": apiKey,
	}, &asset); err != nil {
		return "", err
	}
	var conn struct {
		ID string `json:"id"`
	}
	if err := c.call(http.MethodPost, "/api/v1/connections?test=false", map[string]any{
		"folder_id": folder, "connector": "http", "name": "bench-upstream", "auth_type": "api_key",
		"fields": map[string]any{
			"base_url": upstreamURL, "api_key_in": "header", "api_key_name": "X-API-Key",
			"api_key": map[string]any{"asset_id": asset.ID},
		},
	}, &conn); err != nil {
		return "", err
	}
	return conn.ID, nil
}

func do(c *http.Client, req *http.Request, want int) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
