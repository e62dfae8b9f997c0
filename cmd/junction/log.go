package main

import (
	"io"
	"log/slog"
	"regexp"
	"strings"

	"junction"
)

// sensitiveKey matches attribute keys that suggest a secret value. Values of
// type junction.Secret already log as [redacted]; this is the safety net for
// a secret that reached a log call as a plain string.
var sensitiveKey = regexp.MustCompile(`(?i)(password|passwd|secret|token|authorization|api_?key|cookie)`)

// redactAttr replaces the value of any attribute whose key looks sensitive.
// Keys naming an identifier or a name of such a thing ("token_id",
// "token_name") are kept: they are how operators trace a token without it.
func redactAttr(_ []string, a slog.Attr) slog.Attr {
	k := strings.ToLower(a.Key)
	if !sensitiveKey.MatchString(k) || strings.HasSuffix(k, "_id") || strings.HasSuffix(k, "_name") {
		return a
	}
	if a.Value.Kind() == slog.KindGroup {
		return a
	}
	return slog.String(a.Key, junction.Redacted)
}

// newLogger builds the server's structured logger.
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
