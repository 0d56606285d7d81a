package simulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Listener credentials the fixture registers; the simulator must echo them in every callback.
const (
	listenerUser     = "relay-user"
	listenerPassword = "relay-password-s3cret"
)

// waitLimit only stops a broken test from hanging; no assertion depends on it.
const waitLimit = 20 * time.Second

// fixture is a started simulator with a callback listener registered for every default account.
type fixture struct {
	t   testing.TB
	sim *Simulator
	// client talks to the simulator without keeping connections, so a dropped connection is
	// never mistaken by net/http for a stale pooled one and silently retried.
	client      *http.Client
	callbacks   chan receivedCallback
	listenerURL string
	// answer is the status the listener answers with, per call (1-based); nil = 200.
	answer atomic.Pointer[func(n int) int]
	calls  atomic.Int64
}

type receivedCallback struct {
	raw  []byte
	body map[string]any
	cb   thingspace.Callback
}

func newFixture(t testing.TB, opts Options) *fixture {
	t.Helper()
	sim, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	f := &fixture{t: t, sim: sim, callbacks: make(chan receivedCallback, 1000),
		client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}}
	listener := httptest.NewServer(http.HandlerFunc(f.listen))
	t.Cleanup(listener.Close)
	f.listenerURL = listener.URL + "/callbacks"
	for _, account := range DefaultAccounts() {
		sim.RegisterListener(account, thingspace.CallbackListener{
			Name: thingspace.ServiceDeviceProfile, URL: f.listenerURL, Username: listenerUser, Password: listenerPassword,
		})
	}
	return f
}

func (f *fixture) listen(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	got := receivedCallback{raw: raw}
	if err := json.Unmarshal(raw, &got.body); err != nil {
		f.t.Errorf("callback is not a JSON object: %v: %s", err, raw)
	}
	if err := json.Unmarshal(raw, &got.cb); err != nil {
		f.t.Errorf("callback does not decode: %v", err)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("callback Content-Type = %q, want application/json", ct)
	}
	f.callbacks <- got
	n := int(f.calls.Add(1))
	if answer := f.answer.Load(); answer != nil {
		w.WriteHeader((*answer)(n))
	}
}

// setAnswer makes the listener answer with status(n) for its n-th call.
func (f *fixture) setAnswer(status func(n int) int) { f.answer.Store(&status) }

// nextCallback waits for the next callback the listener receives.
func (f *fixture) nextCallback() receivedCallback {
	f.t.Helper()
	select {
	case cb := <-f.callbacks:
		return cb
	case <-time.After(waitLimit):
		f.t.Fatal("no callback arrived")
		return receivedCallback{}
	}
}

// waitIdle waits until the simulator has nothing more to send.
func (f *fixture) waitIdle() {
	f.t.Helper()
	waitFor(f.t, "the simulator to have no pending callback", f.sim.sched.idle)
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// response is an answer from the simulator.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer is not the expected JSON (%v): %s", err, r.body)
	}
}

// m2mError decodes an M2M error answer and checks its status.
func (r response) m2mError(t testing.TB, status int) thingspace.M2MError {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	var e thingspace.M2MError
	r.json(t, &e)
	return e
}

// do sends a request; body is sent as is when it is a string or []byte, else as JSON.
func (f *fixture) do(method, path string, header http.Header, body any) response {
	f.t.Helper()
	resp, err := f.send(method, path, header, body)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

func (f *fixture) send(method, path string, header http.Header, body any) (response, error) {
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	case []byte:
		reader = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			f.t.Fatalf("encode request: %v", err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, f.sim.URL()+path, reader)
	if err != nil {
		f.t.Fatalf("new request: %v", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: data}, err
}

func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func formHeader(secret string) http.Header {
	return http.Header{"Authorization": {basicAuth(DefaultClientID, secret)}, "Content-Type": {"application/x-www-form-urlencoded"}}
}

func (f *fixture) requestToken() response {
	f.t.Helper()
	return f.do(http.MethodPost, thingspace.PathOAuthToken, formHeader(DefaultClientSecret),
		url.Values{"grant_type": {"client_credentials"}}.Encode())
}

// token gets a bearer.
func (f *fixture) token() string {
	f.t.Helper()
	resp := f.requestToken()
	if resp.status != http.StatusOK {
		f.t.Fatalf("token: status %d: %s", resp.status, resp.body)
	}
	var tr thingspace.TokenResponse
	resp.json(f.t, &tr)
	return tr.AccessToken
}

func bearerHeader(bearer string) http.Header {
	return http.Header{"Authorization": {"Bearer " + bearer}, "Content-Type": {"application/json"}}
}

func (f *fixture) loginAs(bearer, username, password string) response {
	f.t.Helper()
	return f.do(http.MethodPost, thingspace.PathSessionLogin, bearerHeader(bearer),
		thingspace.LoginRequest{Username: username, Password: password})
}

// session logs in with the default user.
func (f *fixture) session(bearer string) string {
	f.t.Helper()
	resp := f.loginAs(bearer, DefaultUsername, DefaultPassword)
	if resp.status != http.StatusOK {
		f.t.Fatalf("login: status %d: %s", resp.status, resp.body)
	}
	var lr thingspace.LoginResponse
	resp.json(f.t, &lr)
	return lr.SessionToken
}

// auth returns the headers of an authorised M2M call, logging in once per fixture.
func (f *fixture) auth() http.Header {
	f.t.Helper()
	bearer := f.token()
	h := bearerHeader(bearer)
	h.Set(thingspace.HeaderSessionToken, f.session(bearer))
	return h
}

// profileRequest names devices by EID, with derived ICCIDs, in the default account.
func profileRequest(eids ...string) thingspace.ProfileRequest {
	req := thingspace.ProfileRequest{AccountName: DefaultAccount, SmsrOid: "1.3.6.1.4.1.31746.1.500.200.101.5"}
	for _, eid := range eids {
		req.Devices = append(req.Devices, thingspace.ProfileDevice{DeviceIDs: thingspace.DeviceIDs{
			{Kind: thingspace.KindEID, ID: eid}, {Kind: thingspace.KindICCID, ID: deriveIdentity(eid).ICCID},
		}})
	}
	return req
}

// okJSON sends a request that must succeed and decodes its answer into out.
func (f *fixture) okJSON(method, path string, h http.Header, body, out any) {
	f.t.Helper()
	resp := f.do(method, path, h, body)
	if resp.status != http.StatusOK {
		f.t.Fatalf("%s %s: %d %s", method, path, resp.status, resp.body)
	}
	resp.json(f.t, out)
}

// action sends a profile action and returns its requestId.
func (f *fixture) action(h http.Header, a thingspace.ProfileAction, body any) string {
	f.t.Helper()
	resp := f.do(http.MethodPost, thingspace.ProfileActionPath(a), h, body)
	if resp.status != http.StatusOK {
		f.t.Fatalf("%s: status %d: %s", a, resp.status, resp.body)
	}
	var rr thingspace.RequestIDResponse
	resp.json(f.t, &rr)
	if !isUUIDv4(rr.RequestID) {
		f.t.Fatalf("requestId %q is not a version 4 UUID", rr.RequestID)
	}
	return rr.RequestID
}

func isUUIDv4(s string) bool {
	if len(s) != 36 || s[14] != '4' || !strings.ContainsRune("89ab", rune(s[19])) {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdef", c) {
				return false
			}
		}
	}
	return true
}

// fakeClock drives token lifetimes in tests without waiting.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Test EIDs: digits only, like real ones, each a different device.
const (
	eidA = "89049032000001000000000000000074"
	eidB = "89049032000001000000000000000082"
	eidC = "89049032000001000000000000000090"
)
