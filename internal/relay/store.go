package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
)

// Message is a validated callback ready to store.
type Message struct {
	RequestID string
	// DedupKey identifies the message's content apart from its delivery count, so a redelivery
	// is recognised and stored once.
	DedupKey [32]byte
	// Payload is what readers will be served; it never holds the listener credentials.
	Payload json.RawMessage
}

// Stored reports what Append did.
type Stored struct {
	relaywire.Callback
	// Duplicate is true when the same message was already stored; Callback is then the
	// original.
	Duplicate bool
}

// Store keeps callbacks durably. Implementations are safe for concurrent use.
type Store interface {
	// Append stores m, or recognises it as a duplicate, and returns only once the result is
	// durable.
	Append(ctx context.Context, m Message) (Stored, error)
	// List returns up to limit callbacks of requestID with Seq > after, oldest first.
	List(ctx context.Context, requestID string, after int64, limit int) ([]relaywire.Callback, error)
	// Watch calls wake whenever requestID may have new callbacks, until stop is called. wake
	// must return at once. A wake-up is only a hint: callers re-query.
	Watch(requestID string, wake func()) (stop func())
	// Purge deletes callbacks stored before cutoff and reports how many it deleted.
	Purge(ctx context.Context, cutoff time.Time) (int64, error)
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
	Close() error
}

// OpenStore opens (creating or migrating as needed) the store named by dsn: "sqlite:PATH" or a
// postgres:// (or postgresql://) URL.
func OpenStore(ctx context.Context, dsn string) (Store, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return nil, errors.New("store sqlite: needs a file path, e.g. sqlite:/var/lib/thingspace-relay/relay.db")
		}
		return openSQLite(ctx, path)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn)
	default:
		return nil, fmt.Errorf("unknown store %q: use sqlite:PATH or a postgres:// URL (--store, THINGSPACE_RELAY_STORE)", redactDSN(dsn))
	}
}

// redactDSN keeps a store name printable in errors without a password it may carry.
func redactDSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		if len(dsn) > 16 {
			return dsn[:16] + "..."
		}
		return dsn
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = "REDACTED@" + rest[at+1:]
	}
	return scheme + "://" + rest
}
