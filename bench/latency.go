package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"text/tabwriter"
	"time"
)

// serialRounds is how many turns the serial measurement takes between the
// direct call and the call through Junction: alternating in short turns
// spreads any slowdown of a shared machine over both.
const serialRounds = 10

// scenario is one kind of call the harness times.
type scenario struct {
	name string
	call func(context.Context) error
}

// printSerialLatency measures a single client making one call at a time,
// for d per scenario, and prints each latency and its difference from the
// first scenario's (the direct call): what one call through Junction adds
// for a caller that does not queue behind others, unlike the latencies
// under concurrent load.
func printSerialLatency(d time.Duration, base scenario, others ...scenario) error {
	all := append([]scenario{base}, others...)
	turn := d / serialRounds
	rs := make([]result, len(all))
	for range serialRounds {
		for i, s := range all {
			r, err := load(s.call, 1, turn)
			if err != nil {
				return fmt.Errorf("serial latency: %s: %w", s.name, err)
			}
			rs[i].requests += r.requests
			rs[i].errors += r.errors
			rs[i].elapsed += r.elapsed
			rs[i].latencies = append(rs[i].latencies, r.latencies...)
		}
	}
	for i := range rs {
		slices.Sort(rs[i].latencies)
	}

	fmt.Printf("\nOne client, one call at a time (%s each, in %d alternating turns)\n\n", d, serialRounds)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "scenario\trequests\terrors\tp50\tp90\tp99\t")
	for i, s := range all {
		r := rs[i]
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\t%s\t\n", s.name, r.requests, r.errors,
			round(r.pct(0.50)), round(r.pct(0.90)), round(r.pct(0.99)))
	}
	w.Flush()
	fmt.Println()
	for i, s := range others {
		r := rs[i+1]
		fmt.Printf("added latency at concurrency 1, %s: %s (median), %s (p99)\n", s.name,
			round(r.pct(0.5)-rs[0].pct(0.5)), round(r.pct(0.99)-rs[0].pct(0.99)))
	}
	return nil
}
