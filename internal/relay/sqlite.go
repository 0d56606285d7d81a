package relay

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// sqliteStore keeps callbacks in one SQLite file in WAL mode with synchronous=FULL, so a commit
// survives a crash or power loss. SQLite allows one writer at a time and every commit costs an
// fsync, so a single goroutine owns writing and commits whatever callbacks queued up during the
// previous fsync in one transaction (group commit): throughput grows with concurrency instead
// of collapsing under it. Readers use their own connections, which WAL lets run beside the writer.
type sqliteStore struct {
	*hub
	writer *sql.DB // exactly one connection, used only by the write loop and Purge
	reader *sql.DB
	stmts  sqliteStatements // prepared on the writer's one connection: parsed once, not per callback
	list   *sql.Stmt        // prepared on each reader connection as it is used
	writes *groupCommitter  // the single writer (see group.go)
	closed sync.Once
}

// closeOnce reports whether this is the first call.
func (s *sqliteStore) closeOnce() bool {
	first := false
	s.closed.Do(func() { first = true })
	return first
}

// sqliteStatements are the statements of one append. Only the write loop uses them, so the
// sequence number read in insert cannot change before bumpSeq records it.
type sqliteStatements struct {
	insert, bumpSeq, findOriginal *sql.Stmt
}

func prepareSQLite(ctx context.Context, db *sql.DB) (sqliteStatements, error) {
	var st sqliteStatements
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		// No row comes back when the message is already stored.
		{&st.insert, `INSERT INTO callbacks (request_id, seq, received_at, dedup, payload)
			VALUES (?1, coalesce((SELECT last_seq FROM requests WHERE request_id = ?1), 0) + 1, ?2, ?3, ?4)
			ON CONFLICT (request_id, dedup) DO NOTHING
			RETURNING seq`},
		{&st.bumpSeq, `INSERT INTO requests (request_id, last_seq, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (request_id) DO UPDATE SET last_seq = excluded.last_seq, updated_at = excluded.updated_at`},
		{&st.findOriginal, `SELECT seq, received_at FROM callbacks WHERE request_id = ? AND dedup = ?`},
	} {
		var err error
		if *p.stmt, err = db.PrepareContext(ctx, p.sql); err != nil {
			return st, err
		}
	}
	return st, nil
}

// sqliteMigrations are applied in order; PRAGMA user_version records how many have been. Never
// edit one that has shipped: append a new one.
var sqliteMigrations = []string{
	`CREATE TABLE requests (
		request_id TEXT PRIMARY KEY,
		last_seq   INTEGER NOT NULL,
		updated_at INTEGER NOT NULL -- unix microseconds of the latest callback
	) WITHOUT ROWID;
	CREATE TABLE callbacks (
		request_id  TEXT NOT NULL,
		seq         INTEGER NOT NULL,
		received_at INTEGER NOT NULL, -- unix microseconds
		dedup       BLOB NOT NULL,
		payload     TEXT NOT NULL,
		PRIMARY KEY (request_id, seq)
	);
	CREATE UNIQUE INDEX callbacks_dedup ON callbacks (request_id, dedup);
	CREATE INDEX callbacks_received_at ON callbacks (received_at);`,
}

func sqliteDSN(path string, readOnly bool) string {
	params := []string{
		"_pragma=busy_timeout(10000)",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(FULL)",
		"_txlock=immediate",
	}
	if readOnly {
		params = append(params, "_pragma=query_only(1)")
	}
	return path + "?" + strings.Join(params, "&")
}

func openSQLite(ctx context.Context, path string) (*sqliteStore, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite store path %q must not contain '?' or '#'", path)
	}
	writer, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		return nil, fmt.Errorf("opening sqlite store %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetConnMaxIdleTime(0)
	if err := migrateSQLite(ctx, writer); err != nil {
		writer.Close()
		return nil, fmt.Errorf("preparing sqlite store %s (is the directory writable?): %w", path, err)
	}
	stmts, err := prepareSQLite(ctx, writer)
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("preparing sqlite statements: %w", err)
	}
	reader, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("opening sqlite store %s for reading: %w", path, err)
	}
	reader.SetMaxOpenConns(4)
	reader.SetMaxIdleConns(4)
	list, err := reader.PrepareContext(ctx, `SELECT seq, received_at, payload FROM callbacks
		WHERE request_id = ? AND seq > ? ORDER BY seq LIMIT ?`)
	if err != nil {
		reader.Close()
		writer.Close()
		return nil, fmt.Errorf("preparing sqlite statements: %w", err)
	}
	s := &sqliteStore{
		hub:    newHub(),
		writer: writer,
		reader: reader,
		stmts:  stmts,
		list:   list,
	}
	s.writes = newGroupCommitter(s.commit)
	return s, nil
}

func migrateSQLite(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: two processes cannot migrate at once
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // after Commit it only reports the transaction closed
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if version > len(sqliteMigrations) {
		return fmt.Errorf("the database has schema version %d but this relay knows only %d: run a newer thingspace-relay", version, len(sqliteMigrations))
	}
	for i := version; i < len(sqliteMigrations); i++ {
		if _, err := tx.ExecContext(ctx, sqliteMigrations[i]); err != nil {
			return fmt.Errorf("schema migration %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(sqliteMigrations))); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *sqliteStore) Append(ctx context.Context, m Message) (Stored, error) {
	stored, err := s.writes.append(ctx, m)
	if err == nil {
		s.notify(m.RequestID)
	}
	return stored, err
}

// commit stores msgs in one transaction (the group committer's commit function).
func (s *sqliteStore) commit(ctx context.Context, msgs []Message) ([]Stored, error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // after Commit it only reports the transaction closed
	out := make([]Stored, len(msgs))
	for i, m := range msgs {
		if out[i], err = s.appendOne(ctx, tx, m); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite commit: %w", err)
	}
	return out, nil
}

func (s *sqliteStore) appendOne(ctx context.Context, tx *sql.Tx, m Message) (Stored, error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	var seq int64
	err := tx.StmtContext(ctx, s.stmts.insert).QueryRowContext(ctx, m.RequestID, now.UnixMicro(), m.DedupKey[:], string(m.Payload)).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return s.original(ctx, tx, m)
	}
	if err != nil {
		return Stored{}, fmt.Errorf("sqlite insert: %w", err)
	}
	if _, err := tx.StmtContext(ctx, s.stmts.bumpSeq).ExecContext(ctx, m.RequestID, seq, now.UnixMicro()); err != nil {
		return Stored{}, fmt.Errorf("sqlite sequence: %w", err)
	}
	return Stored{Callback: relaywire.Callback{Seq: seq, ReceivedAt: now, Payload: m.Payload}}, nil
}

// original looks up the stored copy of a duplicate.
func (s *sqliteStore) original(ctx context.Context, tx *sql.Tx, m Message) (Stored, error) {
	var seq, receivedUS int64
	err := tx.StmtContext(ctx, s.stmts.findOriginal).QueryRowContext(ctx, m.RequestID, m.DedupKey[:]).Scan(&seq, &receivedUS)
	if err != nil {
		return Stored{}, fmt.Errorf("sqlite duplicate lookup: %w", err)
	}
	return Stored{Callback: relaywire.Callback{Seq: seq, ReceivedAt: time.UnixMicro(receivedUS).UTC(), Payload: m.Payload}, Duplicate: true}, nil
}

func (s *sqliteStore) List(ctx context.Context, requestID string, after int64, limit int) ([]relaywire.Callback, error) {
	rows, err := s.list.QueryContext(ctx, requestID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite list: %w", err)
	}
	defer rows.Close()
	var out []relaywire.Callback
	for rows.Next() {
		var (
			cb         relaywire.Callback
			receivedUS int64
			payload    string
		)
		if err := rows.Scan(&cb.Seq, &receivedUS, &payload); err != nil {
			return nil, fmt.Errorf("sqlite list: %w", err)
		}
		cb.ReceivedAt = time.UnixMicro(receivedUS).UTC()
		cb.Payload = []byte(payload)
		out = append(out, cb)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite list: %w", err)
	}
	return out, nil
}

// purgeChunk bounds one delete so a large purge never holds the write lock for long.
const purgeChunk = 1000

func (s *sqliteStore) Purge(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.writer.ExecContext(ctx, `DELETE FROM callbacks WHERE rowid IN
			(SELECT rowid FROM callbacks WHERE received_at < ? LIMIT ?)`, cutoff.UnixMicro(), purgeChunk)
		if err != nil {
			return total, fmt.Errorf("sqlite purge: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < purgeChunk {
			break
		}
	}
	// A request row keeps its last sequence number for as long as any callback could still be
	// read, so numbering never restarts under a reader's feet.
	if _, err := s.writer.ExecContext(ctx, `DELETE FROM requests WHERE updated_at < ?`, cutoff.UnixMicro()); err != nil {
		return total, fmt.Errorf("sqlite purge: %w", err)
	}
	return total, nil
}

func (s *sqliteStore) Ping(ctx context.Context) error {
	var n int
	return s.reader.QueryRowContext(ctx, "SELECT count(*) FROM requests WHERE request_id = ''").Scan(&n)
}

func (s *sqliteStore) Close() error {
	if !s.closeOnce() {
		return nil
	}
	s.writes.close()
	for _, st := range []*sql.Stmt{s.stmts.insert, s.stmts.bumpSeq, s.stmts.findOriginal, s.list} {
		st.Close()
	}
	return errors.Join(s.reader.Close(), s.writer.Close())
}
