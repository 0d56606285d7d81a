package relay

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openTestSQLite opens a store of the test's own, closed at the end of the test.
func openTestSQLite(t *testing.T) Store {
	t.Helper()
	store, err := OpenStore(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "relay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// scrape gathers m as one scrape would (pinging the store once) and returns each counter and
// gauge sample by its name and labels, e.g. `thingspace_relay_store_errors_total{op="ping"}`.
func scrape(t *testing.T, m *metrics) map[string]float64 {
	t.Helper()
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	samples := map[string]float64{}
	for _, f := range families {
		for _, s := range f.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			key := f.GetName()
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			samples[key] = s.GetCounter().GetValue() + s.GetGauge().GetValue()
		}
	}
	return samples
}

func TestStoreUpAndStoreErrorsFollowTheStore(t *testing.T) {
	t.Parallel()
	store := openTestSQLite(t)
	srv, err := NewServer(Config{InsecureAllowAnonymous: true}, store)
	if err != nil {
		t.Fatal(err)
	}
	before := scrape(t, srv.metrics)
	if got := before["thingspace_relay_store_up"]; got != 1 {
		t.Errorf("store_up = %v with a working store, want 1", got)
	}
	for _, op := range storeOps {
		if got, ok := before[`thingspace_relay_store_errors_total{op="`+op+`"}`]; got != 0 || !ok {
			t.Errorf("store_errors_total{op=%q} = %v (exported: %v) before any failure, want an exported 0", op, got, ok)
		}
	}

	store.Close()
	if got := scrape(t, srv.metrics)["thingspace_relay_store_up"]; got != 0 {
		t.Errorf("store_up = %v with a closed store, want 0", got)
	}
	body := `{"requestId":"req-closed","deviceIds":[{"id":"89049032000001000000000000000074","kind":"eid"}],"status":"Success","callbackCount":1}`
	post := httptest.NewRequest(http.MethodPost, "/callbacks", strings.NewReader(body))
	post.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, post)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("POST /callbacks with a closed store = %d %s, want 503", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("/healthz with a closed store = %d, want 503", rec.Code)
	}
	after := scrape(t, srv.metrics)
	for op, want := range map[string]float64{"append": 1, "list": 0, "purge": 0} {
		if got := after[`thingspace_relay_store_errors_total{op="`+op+`"}`]; got != want {
			t.Errorf("store_errors_total{op=%q} = %v, want %v", op, got, want)
		}
	}
	// The scrape above and /healthz failed; this scrape's own ping may be counted or not yet,
	// since the registry collects concurrently.
	if got := after[`thingspace_relay_store_errors_total{op="ping"}`]; got != 2 && got != 3 {
		t.Errorf(`store_errors_total{op="ping"} = %v, want 2 or 3`, got)
	}
}

func TestCallerGoneIsNotAStoreError(t *testing.T) {
	t.Parallel()
	m := newMetrics(openTestSQLite(t))
	m.observeStore("list", time.Now(), context.Canceled)
	if got := scrape(t, m)[`thingspace_relay_store_errors_total{op="list"}`]; got != 0 {
		t.Errorf("store_errors_total{op=list} = %v after a cancelled read, want 0", got)
	}
}
