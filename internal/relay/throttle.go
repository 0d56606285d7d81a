package relay

import (
	"container/list"
	"net/netip"
	"sync"
	"time"
)

// Defaults of the credential-failure throttle.
const (
	DefaultCallbackFailureLimit  = 5
	DefaultCallbackFailureWindow = 5 * time.Minute

	// maxThrottledSources bounds the throttle's memory (about 100 bytes a source) against a
	// sender that cycles through addresses; past it the oldest source is forgotten.
	maxThrottledSources = 65536
)

// failureThrottle counts wrong credentials per source in fixed windows: a window opens at a
// source's first failure, and once it holds limit failures the source is refused until the
// window ends. Only failures are counted, and only the sender's own: another source's failures
// or successes never touch its count.
type failureThrottle struct {
	limit      int
	window     time.Duration
	maxSources int
	now        func() time.Time

	mu      sync.Mutex
	sources map[netip.Addr]*list.Element // of *sourceFailures
	byAge   *list.List                   // oldest window first, so expiry and eviction take the front
}

type sourceFailures struct {
	key      netip.Addr
	since    time.Time // when the window opened
	failures int
}

func newFailureThrottle(limit int, window time.Duration) *failureThrottle {
	return &failureThrottle{
		limit:      limit,
		window:     window,
		maxSources: maxThrottledSources,
		now:        time.Now,
		sources:    map[netip.Addr]*list.Element{},
		byAge:      list.New(),
	}
}

// throttleKey is what failures are counted by: an IPv6 host usually owns its whole /64, so a
// sender could otherwise dodge the count with a fresh address for every guess.
func throttleKey(source netip.Addr) netip.Addr {
	if source.Is6() {
		p, _ := source.Prefix(64)
		return p.Addr()
	}
	return source
}

// blocked reports whether source is throttled, and for how much longer.
func (t *failureThrottle) blocked(source netip.Addr) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.expire(now)
	e, ok := t.sources[throttleKey(source)]
	if !ok {
		return 0, false
	}
	sf := failuresOf(e)
	if sf.failures < t.limit {
		return 0, false
	}
	return sf.since.Add(t.window).Sub(now), true
}

// fail counts a wrong credential from source and reports whether this failure started its
// throttling.
func (t *failureThrottle) fail(source netip.Addr) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.expire(now)
	key := throttleKey(source)
	if e, ok := t.sources[key]; ok {
		sf := failuresOf(e)
		sf.failures++
		return sf.failures == t.limit
	}
	if t.byAge.Len() >= t.maxSources {
		t.forget(t.byAge.Front())
	}
	t.sources[key] = t.byAge.PushBack(&sourceFailures{key: key, since: now, failures: 1})
	return t.limit == 1
}

// expire forgets the sources whose window has ended. Windows open in time order, so they sit at
// the front.
func (t *failureThrottle) expire(now time.Time) {
	for e := t.byAge.Front(); e != nil && !now.Before(failuresOf(e).since.Add(t.window)); e = t.byAge.Front() {
		t.forget(e)
	}
}

func (t *failureThrottle) forget(e *list.Element) {
	delete(t.sources, failuresOf(e).key)
	t.byAge.Remove(e)
}

// failuresOf is the entry an element of byAge holds; byAge holds nothing else.
func failuresOf(e *list.Element) *sourceFailures {
	sf, _ := e.Value.(*sourceFailures)
	return sf
}
