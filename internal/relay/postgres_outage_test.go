package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/clock"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relayclient"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport/pgproc"
)

// The database of two replicas crashes while callbacks stream in and readers wait: both
// replicas must say they are unhealthy, refuse callbacks rather than acknowledge what they
// cannot store, and once the database is back lose nothing they acknowledged, while the
// readers that waited through the outage get every callback.
func TestPostgresCrashLosesNoAcknowledgedCallbackAndReadersResume(t *testing.T) {
	pg := pgproc.Start(t)
	a, b := startRelay(t, pg.URL), startRelay(t, pg.URL)
	replicas := []*Running{a, b}
	ctx, cancel := context.WithTimeout(context.Background(), testsupport.Patience)
	defer cancel()

	const perRequest = 60
	busy := []string{"req-outage-1", "req-outage-2", "req-outage-3"}
	total := perRequest * len(busy)

	// Readers on replica A follow the busy requests; a reader on B waits on a request that gets
	// its callback only after the outage.
	readerClient := func(url string) *relayclient.Client {
		return testClient(t, url, func(c *relayclient.Config) { c.PollWait = 3 * time.Second; c.RetryMaxDelay = 100 * time.Millisecond })
	}
	var readers sync.WaitGroup
	readerErrs := make(chan error, len(busy)+1)
	for _, id := range busy {
		readers.Add(1)
		go func() {
			defer readers.Done()
			readerErrs <- followAll(ctx, readerClient(a.URL()), id, perRequest)
		}()
	}
	readers.Add(1)
	go func() {
		defer readers.Done()
		readerErrs <- followAll(ctx, readerClient(b.URL()), "req-after-outage", 1)
	}()
	testsupport.Eventually(t, "the reader on replica B to hold its long-poll", func() bool {
		return metricValue(t, b.URL(), "thingspace_relay_waiting_readers") == "1"
	})

	// The sender delivers like ThingSpace: each callback to one replica or the other, sent
	// again until it is answered 200.
	var acked, refused atomic.Int64
	sent := make(chan error, 1)
	go func() {
		for n := range perRequest {
			for i, id := range busy {
				body := callbackBody(id, "Success", 1)
				body["n"] = n
				if err := deliver(ctx, replicas[(n+i)%2].URL(), body, &refused); err != nil {
					sent <- err
					return
				}
				acked.Add(1)
			}
		}
		sent <- nil
	}()

	testsupport.Eventually(t, "a first share of the callbacks to be acknowledged", func() bool { return acked.Load() >= int64(total/6) })
	pg.Crash()
	if acked.Load() == int64(total) {
		t.Fatal("every callback was acknowledged before the crash: nothing streamed through the outage")
	}
	for _, r := range replicas {
		testsupport.Eventually(t, "/healthz to answer 503 while the database is down", func() bool {
			code, _ := get(t, r.URL(), "/healthz", "")
			return code == http.StatusServiceUnavailable
		})
	}
	testsupport.Eventually(t, "a callback to be refused during the outage", func() bool { return refused.Load() > 0 })

	pg.Restart()
	for _, r := range replicas {
		testsupport.Eventually(t, "/healthz to answer 200 once the database is back", func() bool {
			code, _ := get(t, r.URL(), "/healthz", "")
			return code == http.StatusOK
		})
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if err := deliver(ctx, a.URL(), callbackBody("req-after-outage", "Success", 1), &refused); err != nil {
		t.Fatal(err)
	}
	readers.Wait()
	close(readerErrs)
	for err := range readerErrs {
		if err != nil {
			t.Error(err)
		}
	}

	// Every acknowledged callback is stored, once, whichever replica is asked.
	for _, r := range replicas {
		for _, id := range busy {
			callbacks, err := testClient(t, r.URL()).ReadAll(ctx, id)
			if err != nil {
				t.Fatalf("reading %s: %v", id, err)
			}
			if err := checkEveryN(callbacks, perRequest); err != nil {
				t.Errorf("%s read from %s: %v", id, r.URL(), err)
			}
		}
	}
	t.Logf("%d callbacks acknowledged, %d refusals during the outage", acked.Load(), refused.Load())
}

// deliver posts body until the relay answers 200, counting the other answers in refused; a
// refused connection is an error, since the relay itself never goes down here.
func deliver(ctx context.Context, baseURL string, body map[string]any, refused *atomic.Int64) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/callbacks", bytes.NewReader(raw))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("delivering to %s: %w", baseURL, err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		if resp.StatusCode != http.StatusServiceUnavailable {
			return fmt.Errorf("delivering to %s: %d, want 200 or 503", baseURL, resp.StatusCode)
		}
		refused.Add(1)
		if err := clock.Sleep(ctx, 20*time.Millisecond); err != nil { // ThingSpace's redelivery, faster
			return fmt.Errorf("delivering to %s: still refused: %w", baseURL, err)
		}
	}
}

// followAll follows requestID until it has seen want distinct callbacks, each exactly once.
func followAll(ctx context.Context, c *relayclient.Client, requestID string, want int) error {
	var seen []relaywire.Callback
	_, err := c.Follow(ctx, requestID, 0, func(cb relaywire.Callback) bool {
		seen = append(seen, cb)
		return len(seen) == want
	})
	if err != nil {
		return fmt.Errorf("following %s: %w after %d callbacks", requestID, err, len(seen))
	}
	if want > 1 {
		return checkEveryN(seen, want)
	}
	return nil
}

// checkEveryN checks that callbacks hold n = 0..want-1, each once.
func checkEveryN(callbacks []relaywire.Callback, want int) error {
	count := map[int]int{}
	for _, cb := range callbacks {
		var p struct{ N int }
		if err := json.Unmarshal(cb.Payload, &p); err != nil {
			return err
		}
		count[p.N]++
	}
	for n := range want {
		if count[n] != 1 {
			return fmt.Errorf("callback n=%d is there %d times, want once (%d callbacks in all)", n, count[n], len(callbacks))
		}
	}
	if len(callbacks) != want {
		return fmt.Errorf("%d callbacks, want %d", len(callbacks), want)
	}
	return nil
}
