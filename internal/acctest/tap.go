package acctest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Tap is a reverse proxy between the provider and ThingSpace (the simulator) that remembers
// every credential the provider presented and every token ThingSpace handed it. Secrets tests
// point base_url at it to learn the tokens a provider running in its own process obtained,
// which they must then find nowhere in logs or state.
type Tap struct {
	server *httptest.Server

	mu   sync.Mutex
	seen map[string]string // secret value -> what it is
}

// NewTap starts a tap in front of target (a base URL) and stops it when the test ends.
func NewTap(t testing.TB, target string) *Tap {
	t.Helper()
	to, err := url.Parse(target)
	if err != nil {
		t.Fatalf("tap target %q: %v", target, err)
	}
	tap := &Tap{seen: map[string]string{}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			tap.recordRequest(r.In)
			r.SetURL(to)
			r.Out.Host = to.Host
		},
		ModifyResponse: tap.recordResponse,
	}
	tap.server = httptest.NewServer(proxy)
	t.Cleanup(tap.server.Close)
	return tap
}

// URL is the base URL to configure instead of the target's.
func (p *Tap) URL() string { return p.server.URL }

// Credentials returns every secret seen so far, each with what it is ("bearer", "session
// token", ...).
func (p *Tap) Credentials() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.seen)
}

func (p *Tap) remember(secret, what string) {
	if secret == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen[secret] = what
}

func (p *Tap) recordRequest(r *http.Request) {
	auth := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(auth, "Bearer "):
		p.remember(strings.TrimPrefix(auth, "Bearer "), "bearer")
	case strings.HasPrefix(auth, "Basic "):
		encoded := strings.TrimPrefix(auth, "Basic ")
		p.remember(encoded, "Basic authorization header")
		if decoded, err := base64.StdEncoding.DecodeString(encoded); err == nil {
			if _, secret, ok := strings.Cut(string(decoded), ":"); ok {
				p.remember(secret, "client secret")
			}
		}
	}
	p.remember(r.Header.Get(thingspace.HeaderSessionToken), "session token")
}

// recordResponse reads the tokens out of OAuth and login answers, and puts the body back.
func (p *Tap) recordResponse(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("tap: reading the answer: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var tokens struct {
		AccessToken  string `json:"access_token"`
		SessionToken string `json:"sessionToken"`
	}
	if json.Unmarshal(body, &tokens) == nil {
		p.remember(tokens.AccessToken, "bearer")
		p.remember(tokens.SessionToken, "session token")
	}
	return nil
}
