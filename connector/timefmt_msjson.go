package connector

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// TimeMSJSON is the date format of Microsoft's JSON serialisers, which
// Xero's API answers with: "/Date(1573755038314+0000)/", milliseconds since
// 1970 in UTC and an optional offset that only says which zone the time was
// written in.
const TimeMSJSON = "ms_json"

var msJSONDateRE = regexp.MustCompile(`^/Date\((-?\d{1,15})([+-]\d{4})?\)/$`)

func parseMSJSONDate(s string) (time.Time, error) {
	m := msJSONDateRE.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, fmt.Errorf("%q is not a /Date(milliseconds)/ time", s)
	}
	ms, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a /Date(milliseconds)/ time", s)
	}
	return time.UnixMilli(ms).UTC(), nil
}

func formatMSJSONDate(t time.Time) string {
	return fmt.Sprintf("/Date(%d+0000)/", t.UnixMilli())
}
