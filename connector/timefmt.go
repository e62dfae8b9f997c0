package connector

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	// APIs read times in their users' zones (Jira's JQL); the zone
	// database is embedded so a host without one still polls correctly.
	_ "time/tzdata"
)

// Time formats a definition may name. Anything else is a Go reference
// layout ("2006/01/02 15:04").
const (
	TimeRFC3339 = "rfc3339"
	TimeUnix    = "unix"
	TimeUnixMS  = "unix_ms"
)

// checkTimeFormat reports what is wrong with a format, or "".
func checkTimeFormat(format string) string {
	switch format {
	case "", TimeRFC3339, TimeUnix, TimeUnixMS, TimeMSJSON:
		return ""
	}
	if !strings.Contains(format, "2006") && !strings.Contains(format, "06") {
		return fmt.Sprintf("unknown time format %q (want rfc3339, unix, unix_ms or a Go layout of the reference time 2006-01-02 15:04:05)", format)
	}
	ref := time.Date(2009, 11, 10, 23, 4, 5, 0, time.UTC)
	back, err := time.ParseInLocation(format, ref.Format(format), time.UTC)
	if err != nil || back.Year() != 2009 || back.Month() != 11 || back.Day() != 10 {
		return fmt.Sprintf("layout %q does not round-trip a date (write it with the reference time 2006-01-02 15:04:05)", format)
	}
	return ""
}

// isUnixFormat reports whether times in the format are numbers.
func isUnixFormat(format string) bool { return format == TimeUnix || format == TimeUnixMS }

// formatTime writes t the way an API reads it. Unix formats give an int64.
func formatTime(t time.Time, format string, loc *time.Location) any {
	switch format {
	case TimeUnix:
		return t.Unix()
	case TimeUnixMS:
		return t.UnixMilli()
	case TimeMSJSON:
		return formatMSJSONDate(t)
	case "", TimeRFC3339:
		return t.In(loc).Format(time.RFC3339)
	}
	return t.In(loc).Format(format)
}

// parseTime reads a time from a decoded JSON value. A null or empty value is
// the zero time, not an error: records often lack an update time.
func parseTime(v any, format string, loc *time.Location) (time.Time, error) {
	if v == nil {
		return time.Time{}, nil
	}
	s, ok := scalarText(v)
	if !ok {
		return time.Time{}, fmt.Errorf("is %s, not a time", typeName(v))
	}
	if s == "" {
		return time.Time{}, nil
	}
	switch format {
	case TimeUnix, TimeUnixMS:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
			return time.Time{}, fmt.Errorf("%q is not a Unix time", s)
		}
		if format == TimeUnixMS {
			return time.UnixMilli(int64(f)).UTC(), nil
		}
		// Seconds with a fraction (Slack's "1712345678.000100"): parse the
		// two parts as integers so microseconds survive float rounding.
		sec, frac, _ := strings.Cut(s, ".")
		whole, err := strconv.ParseInt(sec, 10, 64)
		if err != nil {
			return time.Unix(int64(f), 0).UTC(), nil
		}
		var ns int64
		if frac != "" {
			frac = (frac + "000000000")[:9]
			ns, _ = strconv.ParseInt(frac, 10, 64)
		}
		return time.Unix(whole, ns).UTC(), nil
	case TimeMSJSON:
		return parseMSJSONDate(s)
	case "", TimeRFC3339:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", s)
		}
		return t, nil
	}
	t, err := time.ParseInLocation(format, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q does not match the layout %q", s, format)
	}
	return t, nil
}

// timeText renders a timestamp header or parameter value as text for a
// signature payload: exactly as received.
func timeText(v any) string {
	switch t := v.(type) {
	case json.Number:
		return t.String()
	case string:
		return t
	}
	s, _ := scalarText(v)
	return s
}

// location resolves a time_zone attribute: an IANA name, or a template naming
// a connection field. Empty means UTC.
func location(zone string, public func(string) (string, bool)) (*time.Location, string, error) {
	field := ""
	if name, ok := loneVar(zone); ok {
		field = "fields." + name
		zone, _ = public(name)
	}
	if zone == "" {
		return time.UTC, field, nil
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, field, fmt.Errorf("unknown time zone %q", zone)
	}
	return loc, field, nil
}

// parseDuration reads an optional positive duration attribute.
func parseDuration(s string) (time.Duration, bool) {
	if s == "" {
		return 0, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d > 0
}
