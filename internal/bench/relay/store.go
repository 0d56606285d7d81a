package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/jackc/pgx/v5"
)

// freshStore returns an empty store for one phase and a function that removes it.
func freshStore(ctx context.Context, o options, dir, store, phase string) (string, func(), error) {
	if store == "sqlite" {
		return "sqlite:" + filepath.Join(dir, phase+".db"), func() {}, nil
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "relay_bench_" + hex.EncodeToString(b)
	if err := pgExec(ctx, o.postgresURL, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("creating a schema on %s (set -postgres-url): %w", o.postgresURL, err)
	}
	u, err := url.Parse(o.postgresURL)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() { _ = pgExec(context.Background(), o.postgresURL, "DROP SCHEMA "+schema+" CASCADE") }, nil
}

func pgExec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
