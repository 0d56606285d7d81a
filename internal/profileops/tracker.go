package profileops

import (
	"context"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Log field keys the waiting core writes.
const (
	FieldRequestID = "request_id"
	FieldEID       = "eid"
)

// MsgFinalAnswer is the INFO line logged when a device gets its final answer; tests that scan
// logs for secrets look for it to know the provider's own lines were captured.
const MsgFinalAnswer = "Device has a final answer"

// tracker follows the callbacks of one request until every requested device has a final
// answer. ThingSpace may send a callback several times, a warning before the final answer, and
// in any order across devices, so: the first final answer per device wins and is never undone,
// a warning only updates the last status seen, and callbacks for other requests or devices are
// ignored. What a single callback means (its device, its outcome) is thingspace.Callback's to
// say; the tracker keeps what the callbacks said so far.
//
// One goroutine uses a tracker at a time (a wait, a refresh or an import), so it has no lock.
type tracker struct {
	requestID  string
	devices    []thingspace.RequestedDevice
	final      []*finalAnswer // per requested device; nil until final
	lastStatus []string       // per requested device
	pending    int
	// callbacks counts what was read, duplicates and unparseable ones included.
	callbacks int
	// completedAt is when the relay stored the callback that gave the last device its answer.
	completedAt time.Time
	// observer, when set, is told about each callback that moved a device on.
	observer Observer
}

// Observation is one callback that moved a requested device on: a progress callback (a warning)
// while the device has no final answer, or the callback that gave it its final answer.
// Redeliveries of a final answer and warnings after it change nothing and are not observed.
//
// It carries identifiers, statuses and the fault code only, never the device's credential, so
// an observer can show it to the user as it is.
type Observation struct {
	Device thingspace.RequestedDevice
	// Status is the callback's status as ThingSpace spelt it ("Success", "Failed", "Warning").
	Status  string
	Outcome thingspace.Outcome
	// Final says this callback gave the device its final answer.
	Final bool
	// FaultCode is ThingSpace's fault code of a failure, "" otherwise.
	FaultCode string
	// Answered and Total count the requested devices with a final answer, this one included.
	Answered, Total int
}

// Observer is told about each Observation while a wait follows a request.
type Observer func(Observation)

type finalAnswer struct {
	outcome thingspace.Outcome
	result  thingspace.DeviceResult
}

func newTracker(requestID string, devices []thingspace.RequestedDevice) *tracker {
	return &tracker{
		requestID:  requestID,
		devices:    devices,
		final:      make([]*finalAnswer, len(devices)),
		lastStatus: make([]string, len(devices)),
		pending:    len(devices),
	}
}

// observe takes one stored callback and reports whether every device now has a final answer.
// A callback that cannot be parsed is logged and skipped: one bad message must not hide the
// others, and the relay already refused anything that was not JSON with a requestId.
func (t *tracker) observe(ctx context.Context, c relaywire.Callback) (done bool) {
	t.callbacks++
	cb, err := thingspace.ParseCallback(c.Payload)
	if err != nil {
		tflog.Warn(ctx, "Skipping a stored callback that is not a ThingSpace profile callback", map[string]any{
			FieldRequestID: t.requestID, "seq": c.Seq, "error": err.Error(),
		})
		return t.done()
	}
	answer, first := t.take(cb)
	switch {
	case answer.Device < 0:
		tflog.Warn(ctx, "Ignoring a callback that names none of the requested devices", map[string]any{
			FieldRequestID: t.requestID, "seq": c.Seq,
		})
	case first:
		tflog.Info(ctx, MsgFinalAnswer, t.logFields(c, answer))
		if t.done() {
			t.completedAt = c.ReceivedAt.UTC()
		}
		t.notify(answer, cb)
	default:
		tflog.Debug(ctx, "Device progress", t.logFields(c, answer))
		if t.final[answer.Device] == nil {
			t.notify(answer, cb)
		}
	}
	return t.done()
}

// notify tells the observer what cb said about a requested device.
func (t *tracker) notify(answer thingspace.Answer, cb *thingspace.Callback) {
	if t.observer == nil {
		return
	}
	o := Observation{
		Device: t.devices[answer.Device], Status: cb.Status, Outcome: answer.Outcome, Final: answer.Outcome.Final(),
		Answered: len(t.devices) - t.pending, Total: len(t.devices),
	}
	if f := t.final[answer.Device]; o.Final && f != nil {
		o.FaultCode = f.result.FaultCode
	}
	t.observer(o)
}

func (t *tracker) logFields(c relaywire.Callback, answer thingspace.Answer) map[string]any {
	return map[string]any{
		FieldRequestID: t.requestID, FieldEID: t.devices[answer.Device].EID, "seq": c.Seq,
		"outcome": answer.Outcome.String(), "status": t.lastStatus[answer.Device],
		"relay_received_at": c.ReceivedAt.UTC().Format(time.RFC3339Nano),
	}
}

// take records one callback and returns what it answered (for a device that already had a
// final answer, that first answer) and whether it gave its device its final answer just now.
// A callback of another request, or naming no requested device, changes nothing and returns
// Device -1.
func (t *tracker) take(cb *thingspace.Callback) (answer thingspace.Answer, firstFinal bool) {
	if cb == nil || !strings.EqualFold(strings.TrimSpace(cb.RequestID), t.requestID) {
		return thingspace.Answer{Device: -1, Outcome: thingspace.OutcomePending}, false
	}
	a := cb.Answer(t.devices)
	if a.Device < 0 {
		return a, false
	}
	if prev := t.final[a.Device]; prev != nil {
		return thingspace.Answer{Device: a.Device, Outcome: prev.outcome}, false
	}
	t.lastStatus[a.Device] = cb.Status
	if !a.Outcome.Final() {
		return a, false
	}
	t.final[a.Device] = &finalAnswer{outcome: a.Outcome, result: t.result(a.Device, cb)}
	t.pending--
	return a, true
}

// result flattens cb, filling in the identifiers of the requested device that the callback
// left out (a failure may name the device by ICCID only).
func (t *tracker) result(device int, cb *thingspace.Callback) thingspace.DeviceResult {
	r := cb.Result()
	if r.EID == "" {
		r.EID = t.devices[device].EID
	}
	if r.ICCID == "" {
		r.ICCID = t.devices[device].ICCID
	}
	return r
}

func (t *tracker) done() bool { return t.pending == 0 }

// report is what the callbacks said so far.
func (t *tracker) report() *Report {
	r := &Report{RequestID: t.requestID, Results: map[string]thingspace.DeviceResult{}, Callbacks: t.callbacks}
	for i, f := range t.final {
		d := t.devices[i]
		switch {
		case f == nil:
			r.Pending = append(r.Pending, PendingDevice{RequestedDevice: d, LastStatus: t.lastStatus[i]})
		case f.outcome == thingspace.OutcomeFailure:
			r.Failed = append(r.Failed, f.result)
			r.Results[d.EID] = f.result
		default:
			r.Results[d.EID] = f.result
		}
	}
	r.Status = statusOf(len(r.Failed), len(r.Pending))
	if r.Done() {
		r.CompletedAt = t.completedAt
	}
	return r
}

// LogRelayOutage is the relay client's outage hook: it says once that a wait lost the relay and
// once that the relay answers again, so a relay restart during an apply shows in the log as two
// lines rather than one per attempt.
func LogRelayOutage(ctx context.Context, requestID string, failures int, err error) {
	if err != nil {
		tflog.Warn(ctx, "The relay cannot be read; retrying until the timeout", map[string]any{
			FieldRequestID: requestID, "error": err.Error(),
		})
		return
	}
	tflog.Info(ctx, "The relay answers again", map[string]any{FieldRequestID: requestID, "failed_reads": failures})
}
