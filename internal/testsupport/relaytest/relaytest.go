// Package relaytest gives tests what a test relay needs: fresh, isolated stores (a SQLite file in
// the test's temporary directory, or a PostgreSQL schema of the test's own, so tests run in
// parallel on one database, dropped when the test ends) and the credentials it is configured with.
package relaytest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The credentials every test relay is configured with: ThingSpace's callback login and the
// readers' bearer token.
const (
	CallbackUsername = "listener-user"
	CallbackPassword = "listener-s3cret-pass"
	ReadToken        = "reader-t0ken-value"
)

// PostgresURLEnv names the PostgreSQL server tests use. CI always sets it; tests that need it
// skip, saying so, when it is unset.
const PostgresURLEnv = "THINGSPACE_TEST_POSTGRES_URL"

// Kinds lists the stores a store-generic test runs against.
var Kinds = []string{"sqlite", "postgres"}

// StoreDSN returns a fresh, empty store of the given kind ("sqlite" or "postgres").
func StoreDSN(t testing.TB, kind string) string {
	t.Helper()
	switch kind {
	case "sqlite":
		return SQLiteDSN(t)
	case "postgres":
		return PostgresDSN(t)
	}
	t.Fatalf("unknown store kind %q: use sqlite or postgres", kind)
	return ""
}

// SQLiteDSN is a store in the test's temporary directory.
func SQLiteDSN(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "relay.db")
}

// PostgresDSN creates a schema for the test, returns the server's URL with search_path set to
// it, and drops the schema when the test ends. It skips the test when PostgresURLEnv is unset.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresURLEnv)
	if base == "" {
		t.Skipf("%s is not set: skipping this PostgreSQL test (CI sets it, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", PostgresURLEnv)
	}
	schema := "relay_test_" + RandomHex(t, 8)
	exec(t, base, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { exec(t, base, "DROP SCHEMA "+schema+" CASCADE") })
	return WithQuery(t, base, "search_path", schema)
}

func exec(t testing.TB, dsn, sql string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Errorf("connecting to %s: %v", PostgresURLEnv, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Errorf("%s: %v", sql, err)
	}
}

// WithQuery returns dsn with one query parameter set.
func WithQuery(t testing.TB, dsn, key, value string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parsing %s: %v", PostgresURLEnv, err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// RandomHex is n random bytes in hex, for unique names.
func RandomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
