package relay

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
	"github.com/jackc/pgx/v5"
)

func TestPostgresCallbackOnOneReplicaWakesALongPollOnAnother(t *testing.T) {
	t.Parallel()
	dsn := testPostgresDSN(t)
	a, b := startRelay(t, dsn), startRelay(t, dsn)
	if page := longPollThenPost(t, b.URL(), a.URL(), "req-replicas"); len(page.Callbacks) != 1 {
		t.Fatalf("replica B answered %+v, want the callback stored through A", page)
	}
	// The redelivery to B is recognised as a duplicate of what A stored.
	code, body := postJSON(t, b.URL(), callbackBody("req-replicas", "Success", 2))
	if code != http.StatusOK || !jsonHas(body, `"duplicate":true`) {
		t.Errorf("redelivery to replica B = %d %s, want a 200 duplicate", code, body)
	}
}

// Two replicas insert for the same request at the same time while a reader follows it: the
// reader must see every callback exactly once, which only holds if sequence numbers are
// assigned in commit order.
func TestPostgresConcurrentReplicasNeverLetAReaderSkip(t *testing.T) {
	t.Parallel()
	dsn := testPostgresDSN(t)
	ctx := context.Background()
	replicas := make([]Store, 2)
	for i := range replicas {
		s, err := OpenStore(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		replicas[i] = s
	}
	const writers, perWriter = 8, 40
	total := writers * perWriter

	seen := map[int64]bool{}
	followed := make(chan error, 1)
	writersDone := make(chan struct{})
	go func() {
		var after int64
		wake, notify := wakeChannel()
		stop := replicas[0].Watch("req-race", notify)
		defer stop()
		for len(seen) < total {
			cbs, err := replicas[0].List(ctx, "req-race", after, 7) // small pages: many resumptions
			if err != nil {
				followed <- err
				return
			}
			for _, cb := range cbs {
				if cb.Seq <= after || seen[cb.Seq] {
					followed <- fmt.Errorf("seq %d seen twice or out of order (after %d)", cb.Seq, after)
					return
				}
				seen[cb.Seq] = true
				after = cb.Seq
			}
			if len(cbs) == 0 {
				select {
				case <-wake:
				case <-writersDone:
					wake = nil // one last look, then stop if nothing is left
					if again, err := replicas[0].List(ctx, "req-race", after, 1); err == nil && len(again) == 0 {
						followed <- nil
						return
					}
				}
			}
		}
		followed <- nil
	}()

	var wg sync.WaitGroup
	acked := make(chan int64, total)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				in, err := parseIncoming([]byte(fmt.Sprintf(`{"requestId":"req-race","writer":%d,"n":%d}`, w, i)))
				if err != nil {
					t.Error(err)
					return
				}
				st, err := replicas[w%2].Append(ctx, in.message)
				if err != nil {
					t.Error(err)
					return
				}
				acked <- st.Seq
			}
		}()
	}
	wg.Wait()
	close(writersDone)
	close(acked)
	if err := <-followed; err != nil {
		t.Fatal(err)
	}
	unique := map[int64]bool{}
	for seq := range acked {
		if unique[seq] {
			t.Fatalf("seq %d acknowledged twice", seq)
		}
		unique[seq] = true
		if !seen[seq] {
			t.Errorf("the follower never saw acknowledged seq %d", seq)
		}
	}
	if len(unique) != total {
		t.Errorf("%d acknowledged, want %d", len(unique), total)
	}
}

func TestPostgresReplicasMigrateTogether(t *testing.T) {
	t.Parallel()
	dsn := testPostgresDSN(t)
	const replicas = 4
	errs := make(chan error, replicas)
	for range replicas {
		go func() {
			s, err := OpenStore(context.Background(), dsn)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range replicas {
		if err := <-errs; err != nil {
			t.Errorf("a replica starting with the others failed: %v", err)
		}
	}
}

func TestPostgresListenReconnectWakesEveryone(t *testing.T) {
	t.Parallel()
	appName := "relaytest_" + randomHex(t, 6)
	dsn := withQuery(t, testPostgresDSN(t), "application_name", appName)
	ctx := context.Background()
	a, err := OpenStore(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b, err := OpenStore(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	wake, notify := wakeChannel()
	stop := b.Watch("req-reconnect", notify)
	defer stop()

	// Cut every LISTEN connection of this test: nothing was notified, yet waiters must be woken
	// to re-query, since a notification could have been lost while disconnected.
	admin, err := pgx.Connect(ctx, os.Getenv(postgresURLEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var killed int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`,
		appName+" listen").Scan(&killed); err != nil || killed != 2 {
		t.Fatalf("terminated %d listen connections (%v), want 2", killed, err)
	}
	awaitWake(t, wake, "the wake-up after the LISTEN connection came back")

	// And notifications flow again across replicas.
	in, err := parseIncoming(mustJSON(t, map[string]any{"requestId": "req-reconnect", "status": "Success"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Append(ctx, in.message); err != nil {
		t.Fatal(err)
	}
	awaitWake(t, wake, "the notification from the other replica")
	if cbs, err := b.List(ctx, "req-reconnect", 0, relaywire.PageLimit); err != nil || len(cbs) != 1 {
		t.Fatalf("List on B = %v, %v", cbs, err)
	}
}

func awaitWake(t *testing.T, wake <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-wake:
	case <-time.After(30 * time.Second): // a bound on a hang, not a speed assertion
		t.Fatalf("no wake-up: %s", what)
	}
}

func TestPostgresURLErrorsHidePasswords(t *testing.T) {
	t.Parallel()
	_, err := OpenStore(context.Background(), "postgres://relay:hunter2@127.0.0.1:1/db?connect_timeout=1")
	if err == nil {
		t.Fatal("connecting to a closed port succeeded")
	}
	if containsAny(err.Error(), "hunter2") {
		t.Errorf("error reveals the password: %v", err)
	}
	_, err = OpenStore(context.Background(), "postgres://relay:hunter2@host:notaport/db")
	if err == nil || containsAny(err.Error(), "hunter2") {
		t.Errorf("bad URL error = %v, want an error without the password", err)
	}
}
