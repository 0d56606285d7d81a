package relay

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
)

func forEachStore(t *testing.T, test func(t *testing.T, dsn string)) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			test(t, testStoreDSN(t, kind))
		})
	}
}

func TestIngestThenRead(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, dsn string) {
		r := startRelay(t, dsn)
		before := time.Now().Add(-time.Second)
		code, body := postJSON(t, r.URL(), callbackBody("req-1", "Success", 1))
		if code != http.StatusOK {
			t.Fatalf("POST /callbacks = %d %s, want 200", code, body)
		}
		page, err := testClient(t, r.URL()).Fetch(context.Background(), "req-1", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if page.RequestID != "req-1" || len(page.Callbacks) != 1 || page.Next != 1 {
			t.Fatalf("page = %+v, want one callback with next 1", page)
		}
		cb := page.Callbacks[0]
		if cb.Seq != 1 || cb.ReceivedAt.Before(before) || cb.ReceivedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("callback seq %d receivedAt %v: want seq 1 received just now", cb.Seq, cb.ReceivedAt)
		}
		var payload map[string]any
		if err := json.Unmarshal(cb.Payload, &payload); err != nil {
			t.Fatal(err)
		}
		if _, ok := payload["username"]; ok {
			t.Error("stored payload still holds the echoed username")
		}
		if _, ok := payload["password"]; ok {
			t.Error("stored payload still holds the echoed password")
		}
		if strings.Contains(string(cb.Payload), testPass) {
			t.Error("the listener password is served back to readers")
		}
		if payload["status"] != "Success" || !strings.Contains(string(cb.Payload), "device-cred-pw") {
			t.Errorf("payload lost content: %s", cb.Payload)
		}
	})
}

func TestRedeliveryIsStoredOnce(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, dsn string) {
		r := startRelay(t, dsn)
		var answers []ingestResponse
		for count := 1; count <= 3; count++ {
			code, body := postJSON(t, r.URL(), callbackBody("req-dup", "Success", count))
			if code != http.StatusOK {
				t.Fatalf("delivery %d answered %d %s, want 200", count, code, body)
			}
			var a ingestResponse
			if err := json.Unmarshal(body, &a); err != nil {
				t.Fatal(err)
			}
			answers = append(answers, a)
		}
		if answers[0].Duplicate || !answers[1].Duplicate || !answers[2].Duplicate || answers[1].Seq != answers[0].Seq {
			t.Errorf("answers = %+v, want the first stored and the others recognised as its duplicates", answers)
		}
		page, err := testClient(t, r.URL()).Fetch(context.Background(), "req-dup", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Callbacks) != 1 {
			t.Fatalf("stored %d copies, want 1", len(page.Callbacks))
		}
		if got := metricValue(t, r.URL(), "thingspace_relay_callbacks_duplicate_total"); got != "2" {
			t.Errorf("duplicate counter = %q, want 2", got)
		}
	})
}

func TestRedeliveryWithReorderedFieldsIsADuplicate(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"))
	first := `{"username":"` + testUser + `","password":"` + testPass + `","requestId":"req-ws","status":"Success","deviceIds":[{"id":"1","kind":"eid"}],"callbackCount":1}`
	again := "{ \"callbackCount\": 2,\n  \"deviceIds\": [ {\"id\": \"1\", \"kind\": \"eid\"} ],\n  \"status\": \"Success\", \"requestId\": \"req-ws\",\n  \"password\": \"" + testPass + "\", \"username\": \"" + testUser + "\" }"
	if code, body := postJSON(t, r.URL(), first); code != http.StatusOK || !jsonHas(body, `"duplicate":false`) {
		t.Fatalf("first delivery = %d %s", code, body)
	}
	if code, body := postJSON(t, r.URL(), again); code != http.StatusOK || !jsonHas(body, `"duplicate":true`) {
		t.Fatalf("redelivery with other key order and spacing = %d %s, want a 200 duplicate", code, body)
	}
}

func TestDistinctCallbacksKeepArrivalOrder(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, dsn string) {
		r := startRelay(t, dsn)
		statuses := []string{"Warning", "Success"}
		for _, s := range statuses {
			if code, body := postJSON(t, r.URL(), callbackBody("req-order", s, 1)); code != http.StatusOK {
				t.Fatalf("POST %s = %d %s", s, code, body)
			}
		}
		c := testClient(t, r.URL())
		page, err := c.Fetch(context.Background(), "req-order", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Callbacks) != 2 || page.Next != page.Callbacks[1].Seq || page.Callbacks[0].Seq >= page.Callbacks[1].Seq {
			t.Fatalf("page = %+v, want two callbacks in increasing seq", page)
		}
		for i, cb := range page.Callbacks {
			var p struct{ Status string }
			if err := json.Unmarshal(cb.Payload, &p); err != nil {
				t.Fatal(err)
			}
			if p.Status != statuses[i] {
				t.Errorf("callback %d has status %q, want %q", i, p.Status, statuses[i])
			}
		}
		rest, err := c.Fetch(context.Background(), "req-order", page.Callbacks[0].Seq, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(rest.Callbacks) != 1 || rest.Callbacks[0].Seq != page.Callbacks[1].Seq {
			t.Errorf("after=%d returned %+v, want only the second callback", page.Callbacks[0].Seq, rest)
		}
	})
}

func TestUnknownRequestIsAnEmptyPage(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"))
	code, body := get(t, r.URL(), "/v1/requests/never-seen?after=7", testToken)
	if code != http.StatusOK {
		t.Fatalf("GET = %d %s, want 200", code, body)
	}
	if got, want := strings.TrimSpace(string(body)), `{"requestId":"never-seen","callbacks":[],"next":7}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}

func TestLongPollWakesWhenACallbackArrives(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, dsn string) {
		r := startRelay(t, dsn)
		if page := longPollThenPost(t, r.URL(), r.URL(), "req-wait"); len(page.Callbacks) != 1 {
			t.Fatalf("long-poll returned %+v, want the new callback", page)
		}
	})
}

func TestLongPollEndsEmptyWhenTheWaitEnds(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"))
	page, err := testClient(t, r.URL()).Fetch(context.Background(), "req-quiet", 3, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Callbacks) != 0 || page.Next != 3 {
		t.Errorf("page = %+v, want empty with next = after = 3", page)
	}
}

func TestShutdownAnswersHeldLongPolls(t *testing.T) {
	t.Parallel()
	cfg := Config{Listen: "127.0.0.1:0", Store: testStoreDSN(t, "sqlite"), ReadToken: testToken, CallbackUsername: testUser, CallbackPassword: testPass}
	r, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := testClient(t, r.URL()).Fetch(context.Background(), "req-held", 0, relaywire.MaxWait)
		done <- err
	}()
	waitForReader(t, r.URL())
	// Close fails with a deadline error if the held long-poll is not answered within the grace.
	if err := r.Close(); err != nil {
		t.Fatalf("Close = %v, want a clean shutdown", err)
	}
	if err := <-done; err != nil {
		t.Errorf("held long-poll ended with %v, want an (empty) answer", err)
	}
}

// ThingSpace's eUICC callback pages spell the fields in PascalCase (`RequestId`, `Username`,
// `Device[{Kind, Identifier}]`): such a callback is authenticated, stored without its
// credentials, and its redelivery in the enable page's camelCase is still a duplicate.
func TestEverySpellingIsAuthenticatedStrippedAndDeduplicated(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"))
	pascal := `{"RequestId":"req-pascal","Username":"` + testUser + `","Password":"` + testPass + `",` +
		`"Device":[{"Kind":"EID","Identifier":"89049032000001000000000000000074"}],"Status":"Success","CallbackCount":1}`
	camel := `{"requestId":"req-pascal","username":"` + testUser + `","password":"` + testPass + `",` +
		`"deviceIds":[{"kind":"EID","id":"89049032000001000000000000000074"}],"status":"Success","callbackCount":2}`
	if code, body := postJSON(t, r.URL(), pascal); code != http.StatusOK || !jsonHas(body, `"duplicate":false`) {
		t.Fatalf("PascalCase delivery = %d %s, want 200 stored", code, body)
	}
	if code, body := postJSON(t, r.URL(), camel); code != http.StatusOK || !jsonHas(body, `"duplicate":true`) {
		t.Fatalf("camelCase redelivery = %d %s, want 200 duplicate", code, body)
	}
	wrong := strings.Replace(pascal, testPass, "guessed", 1)
	if code, body := postJSON(t, r.URL(), wrong); code != http.StatusUnauthorized {
		t.Fatalf("PascalCase with a wrong password = %d %s, want 401", code, body)
	}
	page, err := testClient(t, r.URL()).Fetch(context.Background(), "req-pascal", 0, 0)
	if err != nil || len(page.Callbacks) != 1 {
		t.Fatalf("stored %v, %v: want one callback", page, err)
	}
	stored := string(page.Callbacks[0].Payload)
	if strings.Contains(stored, testPass) || strings.Contains(stored, testUser) {
		t.Errorf("stored payload keeps the echoed credentials: %s", stored)
	}
	if !strings.Contains(stored, `"RequestId":"req-pascal"`) {
		t.Errorf("stored payload %s lost the sender's spelling of the other fields", stored)
	}
}
