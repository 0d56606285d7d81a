package profileops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// ErrNothingStored is returned by Discover when the relay holds no callback for a requestId.
var ErrNothingStored = errors.New("the relay holds no callback for this requestId")

// Wait follows the request on the relay until every device has a final answer, and returns
// what it saw. The relay's long-poll delivers each callback the moment it is stored, so there
// is no polling interval to tune and nothing sleeps.
//
// The Report is always returned, also with an error, so the caller can save partial results.
// When ctx ends first the error wraps ctx.Err(): context.DeadlineExceeded for the create or
// delete timeout, context.Canceled for an interrupted Terraform run.
func (o *Operator) Wait(ctx context.Context, requestID string, devices []thingspace.RequestedDevice) (*Report, error) {
	return o.WaitObserved(ctx, requestID, devices, nil)
}

// WaitObserved is Wait that also tells observe, as it happens, about each callback that moved a
// requested device on (see Observation), for a caller that shows progress while it waits. The
// observer runs on the waiting goroutine, so a slow one delays the wait; nil observes nothing.
func (o *Operator) WaitObserved(ctx context.Context, requestID string, devices []thingspace.RequestedDevice,
	observe Observer) (*Report, error) {
	t := newTracker(requestID, devices)
	t.observer = observe
	_, err := o.feed.Follow(ctx, requestID, 0, func(c relaywire.Callback) bool { return t.observe(ctx, c) })
	return t.report(), err
}

// Refresh returns what the relay holds for the request right now, without waiting and without
// sending anything to ThingSpace.
func (o *Operator) Refresh(ctx context.Context, requestID string, devices []thingspace.RequestedDevice) (*Report, error) {
	stored, err := o.feed.ReadAll(ctx, requestID)
	if err != nil {
		return nil, err
	}
	return replay(ctx, requestID, devices, stored), nil
}

// Discovery is a request rebuilt from its callbacks alone, for import.
type Discovery struct {
	// Devices are the devices the callbacks answer for, ordered by EID: callbacks arrive in no
	// particular order, so this is the one order an import can reproduce.
	Devices []thingspace.RequestedDevice
	// SmsrOid is the SM-SR object id a success callback reported, or "" if none did.
	SmsrOid string
	Report  *Report
}

// Discover rebuilds a request from what the relay holds. It returns ErrNothingStored when the
// relay holds nothing for requestID (wrong id, another relay, or purged after its retention).
func (o *Operator) Discover(ctx context.Context, requestID string) (*Discovery, error) {
	stored, err := o.feed.ReadAll(ctx, requestID)
	if err != nil {
		return nil, err
	}
	if len(stored) == 0 {
		return nil, ErrNothingStored
	}
	d := &Discovery{}
	for _, c := range stored {
		cb, err := thingspace.ParseCallback(c.Payload)
		if err != nil {
			continue // reported when replayed below
		}
		d.Devices = addDevice(d.Devices, cb.Result())
		if d.SmsrOid == "" {
			d.SmsrOid = smsrOid(cb)
		}
	}
	if len(d.Devices) == 0 {
		return nil, fmt.Errorf("the relay holds %d callback(s) for request %s but none names a device by EID", len(stored), requestID)
	}
	slices.SortFunc(d.Devices, func(a, b thingspace.RequestedDevice) int { return cmp.Compare(a.EID, b.EID) })
	d.Report = replay(ctx, requestID, d.Devices, stored)
	return d, nil
}

// replay runs stored callbacks through a tracker.
func replay(ctx context.Context, requestID string, devices []thingspace.RequestedDevice, stored []relaywire.Callback) *Report {
	t := newTracker(requestID, devices)
	for _, c := range stored {
		t.observe(ctx, c)
	}
	return t.report()
}

// addDevice adds the device a callback answers for, merging identifiers seen in other callbacks
// (a failure callback may name only the EID; the success of a sibling request never mixes in,
// because the relay serves one requestId).
func addDevice(devices []thingspace.RequestedDevice, r thingspace.DeviceResult) []thingspace.RequestedDevice {
	if r.EID == "" {
		return devices
	}
	for i := range devices {
		if devices[i].EID == r.EID {
			if devices[i].ICCID == "" {
				devices[i].ICCID = r.ICCID
			}
			return devices
		}
	}
	return append(devices, thingspace.RequestedDevice{EID: r.EID, ICCID: r.ICCID})
}

func smsrOid(cb *thingspace.Callback) string {
	if cb.DeviceResponse == nil || cb.DeviceResponse.DeviceProfileResponse == nil {
		return ""
	}
	return cb.DeviceResponse.DeviceProfileResponse.SmsrOid
}
