package relay

import "sync"

// hub wakes readers waiting on a request. It carries no data: a wake-up only tells the reader
// to query the store again, so a lost or spurious wake-up costs latency, never a callback.
type hub struct {
	mu      sync.Mutex
	waiters map[string]map[chan struct{}]struct{}
}

func newHub() *hub { return &hub{waiters: make(map[string]map[chan struct{}]struct{})} }

// Watch registers interest in requestID. The channel has room for one pending wake-up, so a
// notifier never blocks and a reader busy querying still sees that something changed.
func (h *hub) Watch(requestID string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	set := h.waiters[requestID]
	if set == nil {
		set = make(map[chan struct{}]struct{})
		h.waiters[requestID] = set
	}
	set[ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() { once.Do(func() { h.unwatch(requestID, ch) }) }
}

func (h *hub) unwatch(requestID string, ch chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.waiters[requestID]
	delete(set, ch)
	if len(set) == 0 {
		delete(h.waiters, requestID)
	}
}

// notify wakes every reader of requestID.
func (h *hub) notify(requestID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.waiters[requestID] {
		wake(ch)
	}
}

// notifyAll wakes every reader, for when notifications may have been missed (a LISTEN
// connection was lost) and nobody can tell which requests changed.
func (h *hub) notifyAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.waiters {
		for ch := range set {
			wake(ch)
		}
	}
}

func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default: // a wake-up is already pending; one is enough
	}
}
