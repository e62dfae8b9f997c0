package webui

import (
	"strconv"
	"strings"

	"junction"
	"junction/app"
)

// pager is the way from one page of a list to the others, each a plain
// address that keeps the list's search and filters.
type pager struct {
	// First is the list's first page, empty when this is it.
	First string
	// Next is the following page, empty when this is the last.
	Next string
}

// pageLink is the address of another page of the list r shows: the same
// path, search and filters, with key set to value ("after" and a cursor,
// or "page" and a number), or the first page when key is empty.
func pageLink(r *request, key, value string) string {
	q := r.URL.Query()
	for _, k := range []string{"notice", "after", "page", "csrf"} {
		q.Del(k)
	}
	for k, v := range q {
		if len(v) == 0 || (len(v) == 1 && v[0] == "") {
			delete(q, k) // an empty filter is no filter: shorter links
		}
	}
	if key != "" {
		q.Set(key, value)
	}
	if len(q) == 0 {
		return r.URL.Path
	}
	return r.URL.Path + "?" + q.Encode()
}

// cursorPager pages a list the store pages with a cursor.
func cursorPager(r *request, next string) pager {
	var p pager
	if r.URL.Query().Get("after") != "" {
		p.First = pageLink(r, "", "")
	}
	if next != "" {
		p.Next = pageLink(r, "after", next)
	}
	return p
}

// slicePage pages a list read whole (the lists a tenant configures by
// hand: stores, roles, members, custom connectors, the catalogue) by
// ?page=, counted from 1.
func slicePage[T any](r *request, items []T) ([]T, pager) {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 {
		n = 1
	}
	if last := max(0, len(items)-1) / pageSize; n > last+1 {
		n = last + 1 // past the end: the last page
	}
	from := (n - 1) * pageSize
	to := min(from+pageSize, len(items))
	var p pager
	if n > 1 {
		p.First = pageLink(r, "", "")
	}
	if to < len(items) {
		p.Next = pageLink(r, "page", strconv.Itoa(n+1))
	}
	return items[from:to], p
}

// readAll reads every page of a list whose service takes only a page.
func readAll[T any](list func(junction.Page) (app.List[T], error)) ([]T, error) {
	var out []T
	page := junction.Page{Limit: junction.MaxPageSize}
	for {
		l, err := list(page)
		if err != nil {
			return nil, err
		}
		out = append(out, l.Items...)
		if l.NextCursor == "" {
			return out, nil
		}
		page.After = l.NextCursor
	}
}

// matches tells whether any of the texts contains q, ignoring case; an
// empty q matches everything.
func matches(q string, texts ...string) bool {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return true
	}
	for _, t := range texts {
		if strings.Contains(strings.ToLower(t), q) {
			return true
		}
	}
	return false
}
