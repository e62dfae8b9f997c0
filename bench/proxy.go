package main

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
)

// proxyEnv, when set to an upstream URL, makes the harness binary run as a
// bare reverse proxy instead: net/http/httputil in front of the upstream,
// with no authentication, storage or logging. It runs as its own process,
// as Junction does, so that the two are measured on equal terms. What it
// adds to a direct call is the cost of the extra HTTP exchange alone, the
// floor for anything that relays requests, Junction included.
const proxyEnv = "JUNCTION_BENCH_PROXY_TO"

// serveProxy runs the proxy on a free loopback port and prints its
// address on the first line of standard output.
func serveProxy(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	// The same idle pool size Junction's outbound client keeps per host.
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 16}
	// Clients cancel their last call when a scenario's time is up; those
	// are not worth a line each.
	rp.ErrorLog = log.New(io.Discard, "", 0)
	fmt.Println(ln.Addr().String())
	return http.Serve(ln, rp)
}

type proxyProcess struct{ cmd *exec.Cmd }

func (p *proxyProcess) stop() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

// startProxy starts this binary again as a bare reverse proxy to upstream.
func startProxy(upstream string) (*proxyProcess, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), proxyEnv+"="+upstream)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, "", fmt.Errorf("start bare reverse proxy: %w", err)
	}
	return &proxyProcess{cmd: cmd}, "http://" + strings.TrimSpace(line), nil
}
