package simulator

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// RecordedRequest is one API request the simulator received. It never holds a secret: no
// headers, no bodies, only what tests count and correlate.
type RecordedRequest struct {
	At       time.Time `json:"at"`
	Method   string    `json:"method"`
	Path     string    `json:"path"`
	Endpoint Endpoint  `json:"endpoint,omitempty"`
	// Action is the profile action, for EndpointProfileAction.
	Action string `json:"action,omitempty"`
	// Status is the HTTP status answered; 0 when the connection was dropped.
	Status int `json:"status"`
	// RequestID is the requestId issued, when the request was acted on.
	RequestID string   `json:"requestId,omitempty"`
	EIDs      []string `json:"eids,omitempty"`
}

// Delivery is one send of one callback to a listener.
type Delivery struct {
	At        time.Time `json:"at"`
	RequestID string    `json:"requestId"`
	EID       string    `json:"eid"`
	// Status is the callback's status ("Success", "Failed", "Warning").
	Status        string `json:"status"`
	CallbackCount int    `json:"callbackCount"`
	// Duplicate marks an extra send of an acknowledged callback (DeviceBehavior.Duplicates).
	Duplicate bool `json:"duplicate,omitempty"`
	// ListenerStatus is the HTTP status the listener answered; 0 when it could not be reached.
	ListenerStatus int `json:"listenerStatus"`
	// Err says why the send failed, when it did.
	Err string `json:"err,omitempty"`
}

// Requests returns a copy of the request log, in order of arrival.
func (s *Simulator) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RecordedRequest, len(s.state.log))
	for i, r := range s.state.log {
		out[i] = *r
		out[i].EIDs = slices.Clone(r.EIDs)
	}
	return out
}

// Count returns how many requests arrived at an endpoint, whatever they were answered.
func (s *Simulator) Count(e Endpoint) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.state.log {
		if r.Endpoint == e {
			n++
		}
	}
	return n
}

// AcceptedActions returns how many requests of an action were acted on: answered with a
// requestId, or accepted and then dropped (FaultDropAfterHandling).
func (s *Simulator) AcceptedActions(a thingspace.ProfileAction) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.state.log {
		if r.Endpoint == EndpointProfileAction && r.Action == string(a) && r.RequestID != "" {
			n++
		}
	}
	return n
}

// Deliveries returns a copy of the delivery log, in order of sending.
func (s *Simulator) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.state.deliveries)
}

func (s *Simulator) recordDelivery(d Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.deliveries = append(s.state.deliveries, d)
}

// recordKey finds the request's log entry in its context.
type recordKey struct{}

// startRecord logs a request on arrival, so the log shows requests still being handled.
func (s *Simulator) startRecord(r *http.Request) *http.Request {
	rec := &RecordedRequest{At: s.opts.Now(), Method: r.Method, Path: r.URL.Path}
	s.mu.Lock()
	s.state.log = append(s.state.log, rec)
	s.mu.Unlock()
	return r.WithContext(context.WithValue(r.Context(), recordKey{}, rec))
}

// annotate changes the request's log entry under the lock, since tests may read it meanwhile.
func (s *Simulator) annotate(r *http.Request, change func(*RecordedRequest)) {
	rec, ok := r.Context().Value(recordKey{}).(*RecordedRequest)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	change(rec)
}
