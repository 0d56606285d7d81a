package thingspace

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRequestTimeoutBoundsEachAttempt uses a server that never answers: each attempt ends at
// RequestTimeout; a read is then retried, an action is not (it may have been acted on). The
// attempts are counted as the client sends them: on a loaded machine the timeout may end an
// attempt before the server's handler has even started, which a server-side count would miss.
func TestRequestTimeoutBoundsEachAttempt(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the server notices a client going away only once the body is read
		<-r.Context().Done()               // hold the request until the client gives up on it
	}))
	t.Cleanup(srv.Close)
	hits := &countingTransport{}
	c, err := NewClient(Config{BaseURL: srv.URL, AccessToken: "tok", SessionToken: "sess",
		RequestTimeout: 20 * time.Millisecond, MaxRetries: 2, HTTPClient: &http.Client{Transport: hits}})
	if err != nil {
		t.Fatal(err)
	}
	c.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	ctx := context.Background()

	_, err = c.RequestStatus(ctx, "acct", "req")
	if err == nil || !strings.Contains(err.Error(), "no answer within the request timeout of 20ms") || hits.Load() != 3 {
		t.Errorf("read: error %v after %d attempts; want a timeout after 3", err, hits.Load())
	}

	hits.Store(0)
	_, err = c.ProfileAction(ctx, ActionEnable, ProfileRequest{AccountName: "acct",
		Devices: []ProfileDevice{{DeviceIDs: DeviceIDs{{Kind: KindEID, ID: "1"}}}}})
	if err == nil || !strings.Contains(err.Error(), "not repeated") || hits.Load() != 1 {
		t.Errorf("action: error %v after %d attempts; want a timeout after 1, not repeated", err, hits.Load())
	}
}

// countingTransport counts the requests a client sends.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func (c *countingTransport) Load() int32   { return c.n.Load() }
func (c *countingTransport) Store(v int32) { c.n.Store(v) }
