// Package clock holds the one way this project waits: for a duration, unless the context ends
// first. Every retry loop and backoff (the ThingSpace client, the relay client, the relay's
// PostgreSQL reconnects) waits through it, so Ctrl-C and timeouts cut every wait short.
package clock

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx is done, whichever comes first; it returns ctx.Err() in the
// second case.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
