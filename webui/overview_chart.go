package webui

import (
	"context"
	"strconv"
	"time"

	"junction"
	"junction/app"
	"junction/resolver"
)

// Chart geometry, in SVG user units: one bar per hour.
const (
	chartHours  = 24
	chartBarW   = 16
	chartGap    = 4
	chartHeight = 100
	chartWidth  = chartHours * (chartBarW + chartGap)
)

// executionChart is the overview's chart: executions of the last 24 hours
// by hour and outcome, drawn as inline SVG (no script: the CSP allows no inline script, and
// the bars' colours come from the stylesheet's classes).
type executionChart struct {
	Bars              []chartBar
	Succeeded, Failed int
	Max               int
	Partial           bool
	Width, Height     int
	From, To          time.Time
	All               string
}

// chartBar is one hour: a failed part stacked on a succeeded part, with
// the y and height of each.
type chartBar struct {
	X                      int
	OKY, OKH, FailY, FailH int
	Succeeded, Failed      int
	Hour                   string
}

func (u *UI) executionChart(ctx context.Context, p *junction.Principal) (*executionChart, error) {
	now := u.opts.Clock.Now().UTC()
	// Hours end at the current hour's end, so the newest bar fills as it goes.
	end := now.Truncate(time.Hour).Add(time.Hour)
	start := end.Add(-chartHours * time.Hour)
	// Counted in the database: the page costs the same however busy the
	// day was.
	counts, err := u.app.CountExecutions(ctx, p, app.ExecutionQuery{Since: start, Until: end}, time.Hour)
	if err != nil {
		return nil, err
	}
	var ok, failed [chartHours]int
	c := &executionChart{Width: chartWidth, Height: chartHeight, From: start, To: now}
	for _, n := range counts {
		h := int(n.Start.Sub(start) / time.Hour)
		if h < 0 || h >= chartHours {
			continue
		}
		if n.Status == "succeeded" {
			ok[h] += n.Count
			c.Succeeded += n.Count
		} else {
			failed[h] += n.Count
			c.Failed += n.Count
		}
	}
	for h := range chartHours {
		c.Max = max(c.Max, ok[h]+failed[h])
	}
	for h := range chartHours {
		b := chartBar{X: h * (chartBarW + chartGap), Succeeded: ok[h], Failed: failed[h],
			Hour: start.Add(time.Duration(h) * time.Hour).Format("15:04")}
		if c.Max > 0 {
			b.OKH = ok[h] * chartHeight / c.Max
			b.FailH = failed[h] * chartHeight / c.Max
			// A bar with any execution stays visible.
			if ok[h] > 0 && b.OKH == 0 {
				b.OKH = 1
			}
			if failed[h] > 0 && b.FailH == 0 {
				b.FailH = 1
			}
		}
		b.OKY = chartHeight - b.OKH
		b.FailY = b.OKY - b.FailH
		c.Bars = append(c.Bars, b)
	}
	c.All = strconv.Itoa(c.Succeeded+c.Failed) + " executions"
	return c, nil
}

// storeHealthRow is a store on the overview with what this server saw of
// its reads.
type storeHealthRow struct {
	*app.CredentialStoreView
	resolver.StoreHealth
}

// State names the row's health for its class and text.
func (s storeHealthRow) State() string {
	switch {
	case s.BuiltIn:
		return "ok"
	case !s.UnreachableSince.IsZero():
		return "unreachable"
	case !s.AnsweredAt.IsZero():
		return "ok"
	}
	return "unknown"
}

func (u *UI) storeHealth(stores []*app.CredentialStoreView) []storeHealthRow {
	out := make([]storeHealthRow, 0, len(stores))
	for _, s := range stores {
		out = append(out, storeHealthRow{CredentialStoreView: s, StoreHealth: u.app.CredentialStoreHealth(s.ID)})
	}
	return out
}
