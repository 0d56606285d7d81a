package main

import (
	"context"
	"io"
	"log/slog"
)

// listeningMsg is the message of the line that announces the address. Scripts and tests read
// the port from it, so it is printed at any --log-level.
const listeningMsg = "listening"

// newLogger logs JSON to w at level and above, plus the "listening" line whatever the level.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	inner := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: min(level, slog.LevelInfo)})
	return slog.New(announceHandler{Handler: inner, min: level})
}

// announceHandler filters by level itself so it can let the "listening" line through.
type announceHandler struct {
	slog.Handler
	min slog.Level
}

func (h announceHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.min || level == slog.LevelInfo
}

func (h announceHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < h.min && r.Message != listeningMsg {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h announceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return announceHandler{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h announceHandler) WithGroup(name string) slog.Handler {
	return announceHandler{Handler: h.Handler.WithGroup(name), min: h.min}
}
