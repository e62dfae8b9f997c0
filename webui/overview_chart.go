package webui

import (
	"context"
	"strconv"
	"time"

	"junction"
	"junction/app"
	"junction/resolver"
)

// chartReadCap bounds the executions the overview's chart reads: the
// newest ones of the last 24 hours, at most this many, so that a busy
// tenant's overview costs the same as a quiet one's. Past it the chart
// says it shows only the newest.
const chartReadCap = 2 * junction.MaxPageSize

// Chart geometry, in SVG user units: one bar per hour.
const (
	chartHours  = 24
	chartBarW   = 16
	chartGap    = 4
	chartHeight = 100
	chartWidth  = chartHours * (chartBarW + chartGap)
)

// executionChart is the overview's chart: executions of the last 24 hours
// by hour and outcome, drawn as inline SVG (the CSP allows no script, and
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
	var ok, failed [chartHours]int
	c := &executionChart{Width: chartWidth, Height: chartHeight, From: start, To: now}
	page := junction.Page{Limit: junction.MaxPageSize}
	for read := 0; ; {
		list, err := u.app.ListExecutions(ctx, p, app.ExecutionQuery{Since: start, Page: page})
		if err != nil {
			return nil, err
		}
		for _, e := range list.Items {
			h := int(e.StartedAt.Sub(start) / time.Hour)
			if h < 0 || h >= chartHours {
				continue
			}
			if e.Status == "succeeded" {
				ok[h]++
				c.Succeeded++
			} else {
				failed[h]++
				c.Failed++
			}
		}
		read += len(list.Items)
		if list.NextCursor == "" {
			break
		}
		if read >= chartReadCap {
			c.Partial = true
			break
		}
		page.After = list.NextCursor
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
