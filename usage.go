package junction

import (
	"context"
	"time"
)

// EventQuotaThreshold: a tenant used 80 or 100 percent of its month's
// API calls (Details["percent"], "used", "limit", "month"). It is appended
// once per threshold, tenant and month, however many servers see it.
const EventQuotaThreshold = "quota.threshold"

// QuotaThresholds are the percentages of a quota whose crossing is told.
var QuotaThresholds = []int{80, 100}

// UsageScope is what consumption is counted against: a connection, with
// the folder it is in, its connector and its tenant.
type UsageScope struct {
	TenantID     string
	FolderID     string
	Connector    string
	ConnectionID string
}

// UsageCounts are what a tenant consumed. APICalls counts every attempt
// sent to a third-party API (retries and pages included), which is what a
// quota limits.
type UsageCounts struct {
	Executions    int64 `json:"executions"`
	APICalls      int64 `json:"api_calls"`
	TriggerEvents int64 `json:"trigger_events"`
	Polls         int64 `json:"polls"`
	JobsDelivered int64 `json:"jobs_delivered"`
}

// Add adds o to c.
func (c *UsageCounts) Add(o UsageCounts) {
	c.Executions += o.Executions
	c.APICalls += o.APICalls
	c.TriggerEvents += o.TriggerEvents
	c.Polls += o.Polls
	c.JobsDelivered += o.JobsDelivered
}

// UsageRecord is what one scope consumed on one UTC day.
type UsageRecord struct {
	UsageScope
	// Day is the UTC day as 2006-01-02.
	Day string
	UsageCounts
}

// UsageDay is the layout of UsageRecord.Day and of usage day keys.
const UsageDay = "2006-01-02"

// UsageGroup is what usage rows are summed by.
type UsageGroup string

const (
	UsageByDay        UsageGroup = "day"
	UsageByConnector  UsageGroup = "connector"
	UsageByConnection UsageGroup = "connection"
	UsageByFolder     UsageGroup = "folder"
	// UsageTotal sums everything into one row.
	UsageTotal UsageGroup = ""
)

// Valid reports whether g is a known grouping.
func (g UsageGroup) Valid() bool {
	switch g {
	case UsageByDay, UsageByConnector, UsageByConnection, UsageByFolder, UsageTotal:
		return true
	}
	return false
}

// UsageFilter narrows SumUsage to days in [From, To) (as UsageDay strings)
// and, when FolderIDs is not nil, to those folders.
type UsageFilter struct {
	From, To  string
	FolderIDs []string
	GroupBy   UsageGroup
}

// UsageRow is the sum of one group: Key is the day, connector key,
// connection ID or folder ID it groups by, empty for UsageTotal.
type UsageRow struct {
	Key string `json:"key"`
	UsageCounts
}

// Quotas bound what a tenant may consume. A nil field is unlimited.
type Quotas struct {
	// APICallsPerMonth bounds the API calls (UsageCounts.APICalls) of a
	// UTC calendar month: executions over it are refused until the month
	// ends.
	APICallsPerMonth *int64 `json:"api_calls_per_month" nullable:"true"`
	// Connections and Triggers bound how many the tenant may have.
	Connections *int64 `json:"connections" nullable:"true"`
	Triggers    *int64 `json:"triggers" nullable:"true"`
}

// MonthStart is the first instant of t's UTC month; the next month starts
// at MonthStart(t).AddDate(0, 1, 0).
func MonthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// UsageStore persists daily usage and quotas.
type UsageStore interface {
	// AddUsage adds each record's counts to its day's row, creating it:
	// servers that counted the same scope and day all add to one row.
	// Records are written in one transaction.
	AddUsage(ctx context.Context, recs []UsageRecord) error
	// SumUsage sums a tenant's rows in f, ordered by key. It returns an
	// empty slice when nothing was counted.
	SumUsage(ctx context.Context, tenantID string, f UsageFilter) ([]UsageRow, error)

	// GetQuotas returns a tenant's quotas, all unlimited when it has none.
	GetQuotas(ctx context.Context, tenantID string) (*Quotas, error)
	// PutQuotas replaces a tenant's quotas.
	PutQuotas(ctx context.Context, tenantID string, q *Quotas, at time.Time) error
	// ListQuotas returns the quotas of every tenant that has any.
	ListQuotas(ctx context.Context) (map[string]Quotas, error)
	// CountConnections and CountTriggers tell how many a tenant has.
	CountConnections(ctx context.Context, tenantID string) (int64, error)
	CountTriggers(ctx context.Context, tenantID string) (int64, error)
	// ClaimQuotaThreshold records that the tenant crossed percent of its
	// quota in month (2006-01) and reports whether this call did: false
	// when it was recorded before, by this server or another.
	ClaimQuotaThreshold(ctx context.Context, tenantID, month string, percent int) (bool, error)
}
