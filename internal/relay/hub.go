package relay

import "sync"

// hub wakes readers waiting on a request. It carries no data: a wake-up only tells the reader
// to query the store again, so a lost or spurious wake-up costs latency, never a callback.
type hub struct {
	mu      sync.Mutex
	waiters map[string]map[*watcher]struct{}
}

// watcher is one registration; its pointer identity lets the same function be registered twice.
type watcher struct{ wake func() }

func newHub() *hub { return &hub{waiters: make(map[string]map[*watcher]struct{})} }

// Watch registers wake to be called whenever requestID may have new callbacks, until stop is
// called. wake is called with the hub locked: it must return at once and not call the hub.
func (h *hub) Watch(requestID string, wake func()) (stop func()) {
	w := &watcher{wake: wake}
	h.mu.Lock()
	set := h.waiters[requestID]
	if set == nil {
		set = make(map[*watcher]struct{})
		h.waiters[requestID] = set
	}
	set[w] = struct{}{}
	h.mu.Unlock()
	return func() { h.unwatch(requestID, w) }
}

func (h *hub) unwatch(requestID string, w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.waiters[requestID]
	delete(set, w)
	if len(set) == 0 {
		delete(h.waiters, requestID)
	}
}

// notify wakes every reader of requestID.
func (h *hub) notify(requestID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.waiters[requestID] {
		w.wake()
	}
}

// notifyAll wakes every reader, for when notifications may have been missed (a LISTEN
// connection was lost) and nobody can tell which requests changed.
func (h *hub) notifyAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.waiters {
		for w := range set {
			w.wake()
		}
	}
}
