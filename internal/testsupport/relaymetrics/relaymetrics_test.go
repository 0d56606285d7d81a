package relaymetrics_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relay"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport/relaymetrics"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport/relaytest"
)

func TestAnsweredRequestsCountsEveryStatusCode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := relay.Start(ctx, relay.Config{Listen: "127.0.0.1:0", Store: relaytest.SQLiteDSN(t), InsecureAllowAnonymous: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	send := func(method, path string, body []byte) {
		req, err := http.NewRequestWithContext(ctx, method, r.URL()+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	send(http.MethodPost, "/callbacks", []byte(`{"requestId":"req-m","status":"Success"}`))
	send(http.MethodPost, "/callbacks", []byte(`{"status":"no requestId: 400"}`))
	send(http.MethodGet, "/v1/requests/req-m", nil)
	send(http.MethodGet, "/v1/requests/req-m?wait=forever", nil) // 400

	answered, err := relaymetrics.AnsweredRequests(ctx, http.DefaultClient, r.URL())
	if err != nil {
		t.Fatal(err)
	}
	if answered[relay.RouteCallbacks] != 2 || answered[relay.RouteRequests] != 2 {
		t.Errorf("AnsweredRequests = %v, want 2 callbacks and 2 reads (every status code counts)", answered)
	}
}
