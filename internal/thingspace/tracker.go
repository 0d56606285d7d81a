package thingspace

import (
	"strings"
	"sync"
)

// Tracker follows the callbacks of one request until every requested device has a final answer.
// ThingSpace may send a callback several times, a warning before the final answer, and in any
// order across devices, so: the first final answer per device wins and is never undone, a
// warning only updates the last status seen, and callbacks for other requests or devices are
// ignored (Observe reports them with Device -1). It is safe for concurrent use.
type Tracker struct {
	requestID string
	devices   []RequestedDevice

	mu         sync.Mutex
	final      []*trackedAnswer // per requested device; nil until final
	lastStatus []string
}

type trackedAnswer struct {
	outcome Outcome
	result  DeviceResult
}

// NewTracker follows requestID's callbacks for devices.
func NewTracker(requestID string, devices []RequestedDevice) *Tracker {
	return &Tracker{
		requestID:  requestID,
		devices:    append([]RequestedDevice(nil), devices...),
		final:      make([]*trackedAnswer, len(devices)),
		lastStatus: make([]string, len(devices)),
	}
}

// Observe takes one callback into account and returns what it answered: for a device that
// already had a final answer, that first answer. A callback of another request, or naming no
// requested device, changes nothing and returns Device -1.
func (t *Tracker) Observe(cb *Callback) Answer {
	if cb == nil || !strings.EqualFold(strings.TrimSpace(cb.RequestID), t.requestID) {
		return Answer{Device: -1, Outcome: OutcomePending}
	}
	a := cb.Answer(t.devices)
	if a.Device < 0 {
		return a
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if prev := t.final[a.Device]; prev != nil {
		return Answer{Device: a.Device, Outcome: prev.outcome}
	}
	t.lastStatus[a.Device] = cb.Status
	if a.Outcome.Final() {
		t.final[a.Device] = &trackedAnswer{outcome: a.Outcome, result: t.result(a.Device, cb)}
	}
	return a
}

// result flattens cb, filling in the identifiers of the requested device that the callback
// left out (a failure may name the device by ICCID only).
func (t *Tracker) result(device int, cb *Callback) DeviceResult {
	r := cb.Result()
	if r.EID == "" {
		r.EID = t.devices[device].EID
	}
	if r.ICCID == "" {
		r.ICCID = t.devices[device].ICCID
	}
	return r
}

// Done reports whether every requested device has a final answer.
func (t *Tracker) Done() bool { return len(t.Pending()) == 0 }

// Pending returns the devices still without a final answer, in request order.
func (t *Tracker) Pending() []RequestedDevice {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []RequestedDevice
	for i, f := range t.final {
		if f == nil {
			out = append(out, t.devices[i])
		}
	}
	return out
}

// Results returns the final answers so far, success or failure, keyed by requested EID.
func (t *Tracker) Results() map[string]DeviceResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]DeviceResult)
	for i, f := range t.final {
		if f != nil {
			out[t.devices[i].EID] = f.result
		}
	}
	return out
}

// Failed returns the final failures, in request order.
func (t *Tracker) Failed() []DeviceResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []DeviceResult
	for _, f := range t.final {
		if f != nil && f.outcome == OutcomeFailure {
			out = append(out, f.result)
		}
	}
	return out
}

// LastStatus returns the last status seen for the device with this EID ("" if none yet), so a
// timeout can say "last seen: Warning".
func (t *Tracker) LastStatus(eid string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, d := range t.devices {
		if d.EID == eid {
			return t.lastStatus[i]
		}
	}
	return ""
}
