package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
)

// assertJSONError checks that a refusal says what is wrong in a JSON body, without secrets.
func assertJSONError(t *testing.T, body []byte, wantText string) {
	t.Helper()
	var e relaywire.ErrorBody
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
		t.Fatalf("error body %q is not {\"error\": ...}", body)
	}
	if !strings.Contains(e.Error, wantText) {
		t.Errorf("error %q does not mention %q", e.Error, wantText)
	}
	for _, secret := range []string{testUser, testPass, testToken} {
		if strings.Contains(string(body), secret) {
			t.Errorf("error body reveals a secret: %s", body)
		}
	}
}

func TestIngestRefusesBadInput(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"), func(c *Config) { c.MaxBodyBytes = 4096 })
	withCreds := func(mutate func(m map[string]any)) map[string]any {
		m := callbackBody("req-bad", "Success", 1)
		mutate(m)
		return m
	}
	cases := []struct {
		name        string
		body        any
		contentType string
		wantCode    int
		wantText    string
	}{
		{"not JSON", "hello", "application/json", 400, "not a JSON object"},
		{"JSON array", `[1,2]`, "application/json", 400, "not a JSON object"},
		{"JSON null", `null`, "application/json", 400, "not a JSON object"},
		{"trailing data", `{"requestId":"a"} {}`, "application/json", 400, "after the JSON object"},
		{"empty body", "", "application/json", 400, "not a JSON object"},
		{"invalid UTF-8", "{\"requestId\":\"a\xff\"}", "application/json", 400, "UTF-8"},
		{"no requestId", withCreds(func(m map[string]any) { delete(m, "requestId") }), "application/json", 400, "requestId"},
		{"numeric requestId", withCreds(func(m map[string]any) { m["requestId"] = 42 }), "application/json", 400, "requestId"},
		{"path trick in requestId", withCreds(func(m map[string]any) { m["requestId"] = "../../etc/passwd" }), "application/json", 400, "requestId"},
		{"dot requestId", withCreds(func(m map[string]any) { m["requestId"] = ".." }), "application/json", 400, "requestId"},
		{"NUL in requestId", withCreds(func(m map[string]any) { m["requestId"] = "a\x00b" }), "application/json", 400, "requestId"},
		{"overlong requestId", withCreds(func(m map[string]any) { m["requestId"] = strings.Repeat("a", 129) }), "application/json", 400, "128"},
		{"wrong password", withCreds(func(m map[string]any) { m["password"] = "guess" }), "application/json", 401, "do not match"},
		{"wrong username", withCreds(func(m map[string]any) { m["username"] = "someone" }), "application/json", 401, "do not match"},
		{"no credentials", withCreds(func(m map[string]any) { delete(m, "username"); delete(m, "password") }), "application/json", 401, "do not match"},
		{"credentials not strings", withCreds(func(m map[string]any) { m["username"] = []int{1}; m["password"] = true }), "application/json", 401, "do not match"},
		{"wrong content type", callbackBody("req-bad", "Success", 1), "text/plain", 415, "application/json"},
		{"no content type", callbackBody("req-bad", "Success", 1), "", 415, "application/json"},
		{"garbled content type", callbackBody("req-bad", "Success", 1), ";;;", 415, "application/json"},
		{"oversized", withCreds(func(m map[string]any) { m["pad"] = strings.Repeat("x", 5000) }), "application/json", 413, "4096"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(t, r.URL(), tc.body, tc.contentType)
			if code != tc.wantCode {
				t.Fatalf("answered %d %s, want %d", code, body, tc.wantCode)
			}
			assertJSONError(t, body, tc.wantText)
		})
	}
	page, err := testClient(t, r.URL()).Fetch(context.Background(), "req-bad", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Callbacks) != 0 {
		t.Errorf("refused callbacks were stored: %+v", page.Callbacks)
	}
	if got := metricValue(t, r.URL(), `thingspace_relay_auth_failures_total{endpoint="callbacks"}`); got != "4" {
		t.Errorf("ingest auth failures = %q, want 4", got)
	}
	// Still serving after all that.
	if code, body := postJSON(t, r.URL(), callbackBody("req-bad", "Success", 1)); code != http.StatusOK {
		t.Errorf("a good callback after the bad ones answered %d %s", code, body)
	}
	if code, _ := get(t, r.URL(), "/healthz", ""); code != http.StatusOK {
		t.Errorf("/healthz = %d after bad input", code)
	}
}

func TestIngestAcceptsJSONContentTypeVariants(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"))
	for i, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON", "application/vnd.thingspace+json"} {
		if code, body := post(t, r.URL(), callbackBody(fmt.Sprintf("req-ct-%d", i), "Success", 1), ct); code != http.StatusOK {
			t.Errorf("Content-Type %q answered %d %s, want 200", ct, code, body)
		}
	}
}

func TestReadRefusesBadParameters(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"))
	cases := []struct{ name, path, wantText string }{
		{"encoded slash in id", "/v1/requests/a%2Fb", "requestId"},
		{"encoded dots in id", "/v1/requests/%2E%2E", "requestId"},
		{"NUL in id", "/v1/requests/a%00b", "requestId"},
		{"space in id", "/v1/requests/a%20b", "requestId"},
		{"overlong id", "/v1/requests/" + strings.Repeat("x", 129), "requestId"},
		{"negative after", "/v1/requests/r?after=-1", "non-negative integer"},
		{"signed after", "/v1/requests/r?after=+1", "non-negative integer"},
		{"empty after", "/v1/requests/r?after=", "non-negative integer"},
		{"word after", "/v1/requests/r?after=abc", "non-negative integer"},
		{"huge after", "/v1/requests/r?after=99999999999999999999", "non-negative integer"},
		{"float after", "/v1/requests/r?after=1.5", "non-negative integer"},
		{"wait without unit", "/v1/requests/r?wait=25", "duration"},
		{"negative wait", "/v1/requests/r?wait=-1s", "duration"},
		{"too long wait", "/v1/requests/r?wait=61s", "duration"},
		{"huge wait", "/v1/requests/r?wait=9999999h", "duration"},
		{"unknown parameter", "/v1/requests/r?since=1", "unknown query parameter"},
		{"repeated parameter", "/v1/requests/r?after=1&after=2", "once"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, r.URL(), tc.path, testToken)
			if code != http.StatusBadRequest {
				t.Fatalf("GET %s = %d %s, want 400", tc.path, code, body)
			}
			assertJSONError(t, body, tc.wantText)
		})
	}
}

func TestReadRequiresTheBearerToken(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"))
	for name, header := range map[string]string{
		"none":         "",
		"wrong token":  "Bearer nope",
		"basic scheme": "Basic " + testToken,
		"token prefix": "Bearer " + testToken[:5],
		"token suffix": "Bearer " + testToken + "x",
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, r.URL()+"/v1/requests/r", nil)
			if header != "" {
				req.Header.Set("Authorization", header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("answered %d (WWW-Authenticate %q), want 401 with a Bearer challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	if code, _ := get(t, r.URL(), "/v1/requests/r", testToken); code != http.StatusOK {
		t.Errorf("the right token got %d", code)
	}
}

func TestWrongMethodsAndPaths(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"))
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/callbacks", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/v1/requests/r", http.StatusMethodNotAllowed},
		{http.MethodGet, "/v1/requests/", http.StatusNotFound},
		{http.MethodGet, "/admin", http.StatusNotFound},
	} {
		req, _ := http.NewRequest(tc.method, r.URL()+tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		if code, body := do(t, req); code != tc.want {
			t.Errorf("%s %s = %d %s, want %d", tc.method, tc.path, code, body, tc.want)
		}
	}
}

func TestManyIdleConnectionsDoNotStopService(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"))
	const idle = 2000
	conns := make([]net.Conn, 0, idle)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	addr := r.Addr().String()
	for range idle {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("opening idle connection %d: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	// Half of them start a request and never finish its headers.
	for _, c := range conns[:idle/2] {
		if _, err := c.Write([]byte("POST /callbacks HTTP/1.1\r\nHost: x\r\nContent-Len")); err != nil {
			t.Fatal(err)
		}
	}
	if code, body := postJSON(t, r.URL(), callbackBody("req-busy", "Success", 1)); code != http.StatusOK {
		t.Fatalf("with %d idle connections, POST answered %d %s", idle, code, body)
	}
	if code, _ := get(t, r.URL(), "/v1/requests/req-busy", testToken); code != http.StatusOK {
		t.Fatalf("with %d idle connections, GET answered %d", idle, code)
	}
}
