package profileops

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relay"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Log field keys. The end-to-end benchmark parses the "device reached a final state" and
// "create finished" lines by these keys, so they are part of the provider's log interface.
const (
	FieldRequestID  = "request_id"
	FieldEID        = "eid"
	FieldObservedAt = "observed_at"
)

// observer replays one request's callbacks, in relay order, into a thingspace.Tracker.
type observer struct {
	tracker     *thingspace.Tracker
	requestID   string
	devices     []thingspace.RequestedDevice
	finalSeen   []bool
	callbacks   int
	completedAt time.Time
	// live marks an apply-time wait: final answers are logged at INFO with the time they were
	// observed (the benchmark measures from these); a refresh replays history at DEBUG.
	live bool
}

func newObserver(requestID string, devices []thingspace.RequestedDevice, live bool) *observer {
	return &observer{
		tracker:   thingspace.NewTracker(requestID, devices),
		requestID: requestID,
		devices:   devices,
		finalSeen: make([]bool, len(devices)),
		live:      live,
	}
}

// observe takes one stored callback and reports whether every device now has a final answer.
// A callback that cannot be parsed is logged and skipped: one bad message must not hide the
// others, and the relay already refused anything that was not JSON with a requestId.
func (o *observer) observe(ctx context.Context, c relay.Callback) (done bool) {
	o.callbacks++
	cb, err := thingspace.ParseCallback(c.Payload)
	if err != nil {
		tflog.Warn(ctx, "Skipping a stored callback that is not a ThingSpace profile callback", map[string]any{
			FieldRequestID: o.requestID, "seq": c.Seq, "error": err.Error(),
		})
		return o.tracker.Done()
	}
	o.record(ctx, c, o.tracker.Observe(cb))
	if o.tracker.Done() && o.completedAt.IsZero() {
		o.completedAt = c.ReceivedAt.UTC()
	}
	return o.tracker.Done()
}

func (o *observer) record(ctx context.Context, c relay.Callback, answer thingspace.Answer) {
	if answer.Device < 0 {
		tflog.Warn(ctx, "Ignoring a callback that names none of the requested devices", map[string]any{
			FieldRequestID: o.requestID, "seq": c.Seq,
		})
		return
	}
	eid := o.devices[answer.Device].EID
	fields := map[string]any{
		FieldRequestID: o.requestID, FieldEID: eid, "seq": c.Seq,
		"outcome": answer.Outcome.String(), "status": o.tracker.LastStatus(eid),
		"relay_received_at": c.ReceivedAt.UTC().Format(time.RFC3339Nano),
	}
	if answer.Outcome == thingspace.OutcomePending || o.finalSeen[answer.Device] {
		tflog.Debug(ctx, "Device progress", fields)
		return
	}
	o.finalSeen[answer.Device] = true
	if !o.live {
		tflog.Debug(ctx, "Device has a final answer", fields)
		return
	}
	fields[FieldObservedAt] = time.Now().UTC().Format(time.RFC3339Nano)
	tflog.Info(ctx, "Device reached a final state", fields)
}

func (o *observer) report() *Report {
	r := &Report{
		RequestID: o.requestID,
		Results:   o.tracker.Results(),
		Failed:    o.tracker.Failed(),
		Callbacks: o.callbacks,
	}
	for _, d := range o.tracker.Pending() {
		r.Pending = append(r.Pending, PendingDevice{RequestedDevice: d, LastStatus: o.tracker.LastStatus(d.EID)})
	}
	r.Status = statusOf(len(r.Failed), len(r.Pending))
	if r.Done() {
		r.CompletedAt = o.completedAt
	}
	return r
}
