package relay

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/clock"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
)

// postgresStore keeps callbacks in PostgreSQL, the system of record when several relay
// replicas run behind a load balancer. Any replica may store a callback and any may serve it:
//
//   - Sequence numbers come from a per-request counter row that each insert locks and bumps in
//     the same statement, so inserts for one request are serialised and commit in sequence
//     order, even across replicas. (A global sequence would not do: two transactions can commit
//     in the opposite order to the numbers they drew, and a reader resuming "after" the later
//     number would skip the earlier one for ever.)
//   - Concurrent callbacks are committed in groups (see group.go); a group locks request rows in
//     request-id order, so two replicas' groups can never deadlock.
//   - Each group NOTIFYs its request ids on commit; a dedicated connection LISTENs and wakes the
//     local waiters. Notifications are only hints: readers always re-query, and when the LISTEN
//     connection is re-established every waiter is woken, since anything could have been missed.
type postgresStore struct {
	*hub
	pool       *pgxpool.Pool
	writes     *groupCommitter // see group.go: one transaction per group, not per callback
	stopListen context.CancelFunc
	listenDone chan struct{}
}

// notifyChannel is the LISTEN/NOTIFY channel; its payload is a request id.
const notifyChannel = "thingspace_relay"

// postgresMigrations are applied in order under an advisory lock; relay_schema_migrations
// records which have been. Never edit one that has shipped: append a new one.
var postgresMigrations = []string{
	`CREATE TABLE relay_requests (
		request_id text PRIMARY KEY,
		last_seq   bigint NOT NULL,
		updated_at timestamptz NOT NULL
	);
	CREATE TABLE relay_callbacks (
		request_id  text NOT NULL,
		seq         bigint NOT NULL,
		received_at timestamptz NOT NULL,
		dedup       bytea NOT NULL,
		payload     json NOT NULL,
		PRIMARY KEY (request_id, seq)
	);
	CREATE UNIQUE INDEX relay_callbacks_dedup ON relay_callbacks (request_id, dedup);
	CREATE INDEX relay_callbacks_received_at ON relay_callbacks (received_at);`,
	// A sealed payload (see seal.go) is text, not JSON. json to text needs no table rewrite.
	`ALTER TABLE relay_callbacks ALTER COLUMN payload TYPE text`,
}

func openPostgres(ctx context.Context, dsn string) (*postgresStore, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors can quote the URL, password included: say what, not the URL.
		return nil, errors.New("the postgres store URL cannot be parsed: check --store (THINGSPACE_RELAY_STORE), e.g. postgres://user:password@host:5432/db?sslmode=verify-full")
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "thingspace-relay"
	}
	if cfg.MaxConns < 16 {
		cfg.MaxConns = 16 // concurrent ingest commits; PostgreSQL groups their WAL flushes
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to postgres store %s: %w", redactDSN(dsn), err)
	}
	if err := migratePostgres(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("preparing postgres store %s: %w", redactDSN(dsn), err)
	}
	listenCfg := cfg.ConnConfig.Copy()
	// Named apart from the pool's connections, so an operator can tell which one waits.
	listenCfg.RuntimeParams["application_name"] += " listen"
	listener, err := connectListener(ctx, listenCfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("listening for notifications on postgres store %s: %w", redactDSN(dsn), err)
	}
	listenCtx, stop := context.WithCancel(context.Background())
	s := &postgresStore{hub: newHub(), pool: pool, stopListen: stop, listenDone: make(chan struct{})}
	s.writes = newGroupCommitter(s.commit)
	go s.listen(listenCtx, listenCfg, listener)
	return s, nil
}

// migratePostgres brings the schema up to date. The transaction-scoped advisory lock (one per
// schema) makes replicas that start together migrate one after the other.
func migratePostgres(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }() // after Commit it only reports the transaction closed
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('thingspace-relay schema ' || coalesce(current_schema(), '')))`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS relay_schema_migrations (
		version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("creating relay_schema_migrations (does the user own the schema?): %w", err)
	}
	var version int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM relay_schema_migrations`).Scan(&version); err != nil {
		return err
	}
	if version > len(postgresMigrations) {
		return fmt.Errorf("the database has schema version %d but this relay knows only %d: run a newer thingspace-relay", version, len(postgresMigrations))
	}
	for i := version; i < len(postgresMigrations); i++ {
		if _, err := tx.Exec(ctx, postgresMigrations[i]); err != nil {
			return fmt.Errorf("schema migration %d: %w", i+1, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO relay_schema_migrations (version) VALUES ($1)`, i+1); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// appendSQL stores one callback in one statement. The upsert on relay_requests locks the
// request's row until commit, so the duplicate check and the sequence number are decided with
// every other transaction's inserts for the request already committed. A duplicate still bumps
// last_seq, which only leaves a harmless gap. No row comes back for a duplicate.
const appendSQL = `
WITH req AS (
	INSERT INTO relay_requests AS r (request_id, last_seq, updated_at) VALUES ($1, 1, clock_timestamp())
	ON CONFLICT (request_id) DO UPDATE SET last_seq = r.last_seq + 1, updated_at = excluded.updated_at
	RETURNING last_seq, updated_at
)
INSERT INTO relay_callbacks (request_id, seq, received_at, dedup, payload)
SELECT $1, last_seq, updated_at, $2, $3 FROM req
ON CONFLICT (request_id, dedup) DO NOTHING
RETURNING seq, received_at`

// notifySQL wakes readers of a group's requests on every replica, once the group commits.
const notifySQL = `SELECT pg_notify('` + notifyChannel + `', id) FROM unnest($1::text[]) AS id`

func (s *postgresStore) Append(ctx context.Context, m Message) (Stored, error) {
	stored, err := s.writes.append(ctx, m)
	if err == nil {
		s.notify(m.RequestID) // local waiters need not wait for the NOTIFY round trip
	}
	return stored, err
}

// commit stores msgs in one transaction, sending every statement in one round trip.
func (s *postgresStore) commit(ctx context.Context, msgs []Message) ([]Stored, error) {
	order := make([]int, len(msgs))
	for i := range order {
		order[i] = i
	}
	// One global lock order (request id), keeping arrival order within a request.
	sort.SliceStable(order, func(a, b int) bool { return msgs[order[a]].RequestID < msgs[order[b]].RequestID })

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }() // after Commit it only reports the transaction closed
	batch := &pgx.Batch{}
	ids := make([]string, 0, len(msgs))
	for _, i := range order {
		m := msgs[i]
		batch.Queue(appendSQL, m.RequestID, m.DedupKey[:], string(m.Payload))
		if len(ids) == 0 || ids[len(ids)-1] != m.RequestID {
			ids = append(ids, m.RequestID)
		}
	}
	batch.Queue(notifySQL, ids)
	out, err := s.readAppendResults(tx.SendBatch(ctx, batch), msgs, order)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Duplicate {
			if out[i], err = s.original(ctx, tx, msgs[i]); err != nil {
				return nil, err
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("postgres commit: %w", err)
	}
	return out, nil
}

// readAppendResults reads one appendSQL result per message (in lock order), then the notify.
// A message with no row is marked Duplicate, to be looked up.
func (s *postgresStore) readAppendResults(results pgx.BatchResults, msgs []Message, order []int) ([]Stored, error) {
	defer results.Close()
	out := make([]Stored, len(msgs))
	for _, i := range order {
		cb := relaywire.Callback{Payload: msgs[i].Payload}
		err := results.QueryRow().Scan(&cb.Seq, &cb.ReceivedAt)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			out[i] = Stored{Duplicate: true}
		case err != nil:
			return nil, fmt.Errorf("postgres insert: %w", err)
		default:
			cb.ReceivedAt = cb.ReceivedAt.UTC()
			out[i] = Stored{Callback: cb}
		}
	}
	if _, err := results.Exec(); err != nil {
		return nil, fmt.Errorf("postgres notify: %w", err)
	}
	return out, results.Close()
}

// original looks up the stored copy of a duplicate.
func (s *postgresStore) original(ctx context.Context, tx pgx.Tx, m Message) (Stored, error) {
	out := Stored{Duplicate: true, Callback: relaywire.Callback{Payload: m.Payload}}
	err := tx.QueryRow(ctx, `SELECT seq, received_at FROM relay_callbacks WHERE request_id = $1 AND dedup = $2`,
		m.RequestID, m.DedupKey[:]).Scan(&out.Seq, &out.ReceivedAt)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) { // ErrNoRows: purged meanwhile; still a duplicate
		return Stored{}, fmt.Errorf("postgres duplicate lookup: %w", err)
	}
	out.ReceivedAt = out.ReceivedAt.UTC()
	return out, nil
}

func (s *postgresStore) List(ctx context.Context, requestID string, after int64, limit int) ([]relaywire.Callback, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, received_at, payload FROM relay_callbacks
		WHERE request_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, requestID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres list: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (relaywire.Callback, error) {
		var (
			cb      relaywire.Callback
			payload string
		)
		err := row.Scan(&cb.Seq, &cb.ReceivedAt, &payload)
		cb.ReceivedAt = cb.ReceivedAt.UTC()
		cb.Payload = []byte(payload)
		return cb, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres list: %w", err)
	}
	return out, nil
}

func (s *postgresStore) Purge(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, `DELETE FROM relay_callbacks WHERE ctid = ANY (ARRAY(
			SELECT ctid FROM relay_callbacks WHERE received_at < $1 LIMIT $2))`, cutoff, purgeChunk)
		if err != nil {
			return total, fmt.Errorf("postgres purge: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < purgeChunk {
			break
		}
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM relay_requests WHERE updated_at < $1`, cutoff); err != nil {
		return total, fmt.Errorf("postgres purge: %w", err)
	}
	return total, nil
}

func (s *postgresStore) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

func (s *postgresStore) Close() error {
	s.writes.close()
	s.stopListen()
	<-s.listenDone
	s.pool.Close()
	return nil
}

// Reconnect pacing for the LISTEN connection.
const (
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 5 * time.Second
)

// listen forwards notifications to local waiters until ctx ends, reconnecting as needed.
func (s *postgresStore) listen(ctx context.Context, cfg *pgx.ConnConfig, conn *pgx.Conn) {
	defer close(s.listenDone)
	delay := listenRetryMin
	for {
		if conn != nil {
			s.forward(ctx, conn)
			conn.Close(context.Background())
			conn = nil
		}
		if clock.Sleep(ctx, delay) != nil {
			return
		}
		var err error
		if conn, err = connectListener(ctx, cfg); err != nil {
			delay = min(delay*2, listenRetryMax)
			continue
		}
		delay = listenRetryMin
		s.notifyAll() // whatever was committed while we were deaf is found by a re-query
	}
}

func connectListener(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg.Copy())
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

func (s *postgresStore) forward(ctx context.Context, conn *pgx.Conn) {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return
		}
		s.notify(n.Payload)
	}
}
