package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"junction"
)

// usageReport is the answer of GET /api/v1/usage.
type usageReport struct {
	From    string               `json:"from"`
	To      string               `json:"to"`
	GroupBy string               `json:"group_by"`
	Items   []junction.UsageRow  `json:"items"`
	Total   junction.UsageCounts `json:"total"`
}

// lookBack reads --since as days (30d), a duration (12h) or an RFC 3339
// time.
func lookBack(s string, now time.Time) (time.Time, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if d, err := strconv.Atoi(n); err == nil && d > 0 {
			return now.AddDate(0, 0, -d), nil
		}
	}
	t, err := parseSince(s, now)
	if err != nil {
		return time.Time{}, junction.Invalid("since", "%q is neither days (30d), a duration (24h) nor an RFC 3339 time", s)
	}
	return t, nil
}

func (c *CLI) usageCommand() *cobra.Command {
	var since, groupBy string
	cmd := &cobra.Command{
		Use:   "usage [--since 30d] [--group-by day|connector|connection|folder]",
		Short: "Show what the tenant consumed: executions, API calls, trigger events, polls and jobs delivered, per UTC day",
		Long: "Show what the tenant consumed in the folders where you hold Logs.View (the whole tenant with it\n" +
			"tenant-wide): executions, API calls (every attempt sent to a third-party API, which the monthly\n" +
			"quota counts), trigger events received, polls made and jobs delivered, from whole UTC days.",
		Example: `  junction usage --since 30d --group-by connector`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			from, err := lookBack(since, c.env.Now())
			if err != nil {
				return err
			}
			q.Set("from", from.UTC().Format(junction.UsageDay))
			if groupBy != "" {
				q.Set("group_by", groupBy)
			}
			raw, err := c.call(cmd, http.MethodGet, "/api/v1/usage?"+q.Encode(), nil)
			if err != nil {
				return err
			}
			return printAnswer(c, raw, func(r *usageReport) error { return c.printUsage(r) })
		},
	}
	cmd.Flags().StringVar(&since, "since", "30d", "first day counted: days ago (30d), a duration (24h) or an RFC 3339 time")
	cmd.Flags().StringVar(&groupBy, "group-by", "", "day, connector, connection or folder (default: the total only)")
	return cmd
}

// printUsage prints one row per group and the total.
func (c *CLI) printUsage(r *usageReport) error {
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 0, 2, ' ', 0)
	head := strings.ToUpper(r.GroupBy)
	if head == "" {
		head = "FROM " + r.From
	}
	fmt.Fprintln(tw, head+"\tEXECUTIONS\tAPI CALLS\tTRIGGER EVENTS\tPOLLS\tJOBS DELIVERED")
	row := func(key string, n junction.UsageCounts) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", key, n.Executions, n.APICalls, n.TriggerEvents, n.Polls, n.JobsDelivered)
	}
	for _, it := range r.Items {
		key := it.Key
		switch junction.UsageGroup(r.GroupBy) {
		case junction.UsageByConnection:
			key = c.label(refConnection, key)
		case junction.UsageByFolder:
			key = c.label(refFolder, key)
		}
		row(key, it.UsageCounts)
	}
	row("TOTAL", r.Total)
	return tw.Flush()
}

// tenantQuotas is the answer of the quotas endpoints.
type tenantQuotas struct {
	TenantID string          `json:"tenant_id"`
	Quotas   junction.Quotas `json:"quotas"`
	Used     struct {
		APICallsThisMonth int64 `json:"api_calls_this_month"`
		Connections       int64 `json:"connections"`
		Triggers          int64 `json:"triggers"`
	} `json:"used"`
}

func quotaFields(q *tenantQuotas) [][2]string {
	show := func(limit *int64, used int64) string {
		if limit == nil {
			return fmt.Sprintf("%d used, unlimited", used)
		}
		return fmt.Sprintf("%d used of %d", used, *limit)
	}
	return [][2]string{
		{"Tenant", q.TenantID},
		{"API calls this month", show(q.Quotas.APICallsPerMonth, q.Used.APICallsThisMonth)},
		{"Connections", show(q.Quotas.Connections, q.Used.Connections)},
		{"Triggers", show(q.Quotas.Triggers, q.Used.Triggers)},
	}
}

// quotaValue reads a quota flag: a whole number, or "unlimited".
func quotaValue(flag, v string) (*int64, error) {
	if v == "unlimited" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return nil, junction.Invalid(flag, "must be a whole number of 0 or more, or unlimited, not %q", v)
	}
	return &n, nil
}

func (c *CLI) tenantQuotasCommand() *cobra.Command {
	path := func(id string) string { return "/api/v1/tenants/" + url.PathEscape(id) + "/quotas" }
	cmd := &cobra.Command{
		Use:   "quotas",
		Short: "See and set a tenant's quotas: API calls per month, connections, triggers (host administrators only)",
	}
	get := &cobra.Command{
		Use:     "get TENANT",
		Short:   "Show a tenant's quotas and what it uses of them",
		Example: `  junction tenants quotas get acme`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return callAndPrint(c, cmd, http.MethodGet, path(args[0]), nil, quotaFields)
		},
	}
	var calls, conns, trigs string
	set := &cobra.Command{
		Use:   "set TENANT [--api-calls-per-month N] [--connections N] [--triggers N]",
		Short: "Change a tenant's quotas; those not named stay as they are, unlimited lifts one",
		Long: "Change a tenant's quotas. Over its API calls of a UTC month, the tenant's executions answer 429\n" +
			"quota_exceeded until the month ends; over its connections or triggers, creating one more does.\n" +
			"Nothing already accepted is dropped: queued jobs run and accepted webhooks are delivered.",
		Example: `  junction tenants quotas set acme --api-calls-per-month 100000 --triggers unlimited`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := c.call(cmd, http.MethodGet, path(args[0]), nil)
			if err != nil {
				return err
			}
			var cur tenantQuotas
			if err := json.Unmarshal(raw, &cur); err != nil {
				return err
			}
			q := cur.Quotas
			for _, f := range []struct {
				flag, value string
				into        **int64
			}{{"api-calls-per-month", calls, &q.APICallsPerMonth}, {"connections", conns, &q.Connections}, {"triggers", trigs, &q.Triggers}} {
				if !cmd.Flags().Changed(f.flag) {
					continue
				}
				if *f.into, err = quotaValue(f.flag, f.value); err != nil {
					return err
				}
			}
			return callAndPrint(c, cmd, http.MethodPut, path(args[0]), q, quotaFields)
		},
	}
	set.Flags().StringVar(&calls, "api-calls-per-month", "", "API calls the tenant may make in a UTC month, or unlimited")
	set.Flags().StringVar(&conns, "connections", "", "connections the tenant may have, or unlimited")
	set.Flags().StringVar(&trigs, "triggers", "", "triggers the tenant may have, or unlimited")
	cmd.AddCommand(get, set)
	return cmd
}
