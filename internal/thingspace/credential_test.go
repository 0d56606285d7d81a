package thingspace

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gatedFetch is a fetchFunc that blocks until released, counting its calls.
type gatedFetch struct {
	calls   atomic.Int32
	started chan struct{}
	release chan struct{}
	token   string
	err     error
}

func newGatedFetch(token string, err error) *gatedFetch {
	return &gatedFetch{started: make(chan struct{}, 10), release: make(chan struct{}), token: token, err: err}
}

func (g *gatedFetch) fetch(ctx context.Context, _ string) (string, time.Duration, error) {
	g.calls.Add(1)
	g.started <- struct{}{}
	select {
	case <-g.release:
		return g.token, time.Hour, g.err
	case <-ctx.Done():
		return "", 0, ctx.Err()
	}
}

func TestCredentialSharesOneFetch(t *testing.T) {
	g := newGatedFetch("tok-1", nil)
	c := newCredential("", g.fetch, time.Now)
	var wg sync.WaitGroup
	results := make([]string, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _ = c.get(context.Background())
		}()
	}
	<-g.started
	close(g.release)
	wg.Wait()
	for i, r := range results {
		if r != "tok-1" {
			t.Errorf("caller %d got %q", i, r)
		}
	}
	if n := g.calls.Load(); n != 1 {
		t.Errorf("fetches = %d, want 1", n)
	}
}

func TestCredentialAbandonedFetchIsNotInherited(t *testing.T) {
	g := newGatedFetch("tok-2", nil)
	c := newCredential("", g.fetch, time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.get(ctx)
		done <- err
	}()
	<-g.started
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("abandoning caller: %v", err)
	}
	// Every waiter left, so that fetch was cancelled: a newcomer starts its own.
	got := make(chan string, 1)
	go func() {
		tok, _ := c.get(context.Background())
		got <- tok
	}()
	<-g.started
	close(g.release)
	if tok := <-got; tok != "tok-2" {
		t.Errorf("newcomer got %q", tok)
	}
	if n := g.calls.Load(); n != 2 {
		t.Errorf("fetches = %d, want 2", n)
	}
}

func TestCredentialStickyFailureIsNeverFetchedAgain(t *testing.T) {
	refused := errors.New("refused")
	g := newGatedFetch("", refused)
	c := newCredential("", g.fetch, time.Now)
	c.sticky = func(err error) bool { return errors.Is(err, refused) }
	close(g.release)
	for range 3 {
		if _, err := c.get(context.Background()); !errors.Is(err, refused) {
			t.Fatalf("get: %v, want the refusal", err)
		}
		if err := c.renew(context.Background(), ""); !errors.Is(err, refused) {
			t.Fatalf("renew: %v, want the refusal", err)
		}
	}
	if n := g.calls.Load(); n != 1 {
		t.Errorf("fetches = %d, want 1", n)
	}
}

func TestCredentialGivenTokenCannotBeRenewed(t *testing.T) {
	c := newCredential("given", nil, time.Now)
	if tok, err := c.get(context.Background()); tok != "given" || err != nil {
		t.Fatalf("get = %q, %v", tok, err)
	}
	if err := c.renew(context.Background(), "given"); !errors.Is(err, errCannotRenew) {
		t.Errorf("renew = %v, want errCannotRenew", err)
	}
}

func TestRenewalTime(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := map[time.Duration]time.Duration{
		time.Hour:        59 * time.Minute,
		5 * time.Minute:  270 * time.Second,
		10 * time.Second: 9 * time.Second,
	}
	for ttl, after := range cases {
		if got := renewalTime(now, ttl); !got.Equal(now.Add(after)) {
			t.Errorf("ttl %v: renew at +%v, want +%v", ttl, got.Sub(now), after)
		}
	}
	if !renewalTime(now, 0).IsZero() {
		t.Error("an unknown lifetime must mean no planned renewal")
	}
}
