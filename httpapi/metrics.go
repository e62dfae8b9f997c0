package httpapi

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsRoutes serves the Prometheus registry given in Options.Metrics,
// when there is one. It needs no token, as scrapers expect; the numbers
// are counts by connector, activity, outcome and store type, never an
// object's name or a secret. Operators who would rather not expose them
// on the API's listener turn them off (junction serve --metrics=false).
func (s *Server) metricsRoutes() []route {
	if s.opts.Metrics == nil {
		return nil
	}
	h := promhttp.HandlerFor(s.opts.Metrics, promhttp.HandlerOpts{
		ErrorLog:      promErrorLog{s},
		ErrorHandling: promhttp.ContinueOnError,
	})
	return []route{
		{method: "GET", path: "/metrics", op: "metrics", access: public(), tag: "health",
			summary: "Prometheus metrics in the text exposition format: executions, their latency, the secret " +
				"cache and the Go runtime",
			status: http.StatusOK,
			handle: func(w http.ResponseWriter, r *http.Request) error {
				h.ServeHTTP(w, r)
				return nil
			}},
	}
}

// promErrorLog sends the registry's gathering errors to the server's log.
type promErrorLog struct{ s *Server }

func (l promErrorLog) Println(v ...any) { l.s.logger.Warn("gather metrics", "error", v) }
