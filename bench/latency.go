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

// printSerialLatency measures a single client making one call at a time,
// directly and through Junction, for d each, and prints both latencies and
// their difference: what one execution adds for a caller that does not
// queue behind others, unlike the latencies under concurrent load.
func printSerialLatency(direct, via func(context.Context) error, d time.Duration) error {
	turn := d / serialRounds
	var base, through result
	for range serialRounds {
		for _, s := range []struct {
			call func(context.Context) error
			into *result
		}{{direct, &base}, {via, &through}} {
			r, err := load(s.call, 1, turn)
			if err != nil {
				return fmt.Errorf("serial latency: %w", err)
			}
			s.into.requests += r.requests
			s.into.errors += r.errors
			s.into.elapsed += r.elapsed
			s.into.latencies = append(s.into.latencies, r.latencies...)
		}
	}
	slices.Sort(base.latencies)
	slices.Sort(through.latencies)

	fmt.Printf("\nOne client, one call at a time (%s each, in %d alternating turns)\n\n", d, serialRounds)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "scenario\trequests\terrors\tp50\tp90\tp99\t")
	for _, r := range []struct {
		name string
		r    result
	}{{"direct call to the upstream", base}, {"http_request through Junction", through}} {
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\t%s\t\n", r.name, r.r.requests, r.r.errors,
			round(r.r.pct(0.50)), round(r.r.pct(0.90)), round(r.r.pct(0.99)))
	}
	w.Flush()
	fmt.Printf("\nadded latency per execution at concurrency 1: %s (median), %s (p99)\n",
		round(through.pct(0.5)-base.pct(0.5)), round(through.pct(0.99)-base.pct(0.99)))
	return nil
}
