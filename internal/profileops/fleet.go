package profileops

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// A fleet action is one profile action for more devices than one request may carry: the devices
// go out in several requests, sent a few at a time, and every request is then followed at once.
// It exists for thingspace_euicc_profile_fleet_enablement, which must record each requestId
// against its devices, so that a failed or timed-out wait still knows what it is waiting for.

// DefaultFleetConcurrency is how many requests of a fleet action are in flight at once: enough
// that a fleet of thousands is sent in seconds, few enough not to be throttled for it.
const DefaultFleetConcurrency = 4

// FleetRequest is one profile action for any number of devices.
type FleetRequest struct {
	Action      thingspace.ProfileAction
	Devices     []thingspace.RequestedDevice
	AccountName string
	SmsrOid     string
	// ChunkSize is the most devices one request carries; 0 = thingspace.DefaultMaxDevicesPerRequest.
	ChunkSize int
	// Concurrency is how many requests are sent at once; 0 = DefaultFleetConcurrency.
	Concurrency int
}

// Sent is one request of a fleet action that ThingSpace answered with a requestId.
type Sent struct {
	RequestID string
	Devices   []thingspace.RequestedDevice
}

// Unsent is a part of a fleet action that ThingSpace did not answer with a requestId. Err says
// why; errors.Is(Err, thingspace.ErrOutcomeUnknown) means ThingSpace may have acted on it anyway.
type Unsent struct {
	Devices []thingspace.RequestedDevice
	Err     error
}

// SendFleet checks the relay once, splits the devices into requests of at most ChunkSize devices
// (in the order given), sends Concurrency of them at a time, and calls onSent (one call at a
// time, never concurrently) with each request as soon as ThingSpace answers it, so the caller
// can record the requestId before anything waits.
//
// Each request is sent once. The one exception is a request ThingSpace refuses for carrying too
// many devices (thingspace.CodeTooManyDevices): the refusal means nothing was acted on, so its
// two halves are sent instead, down to single devices. It never stops early: one request's
// failure costs only that request's devices, which come back in unsent.
//
// Both results are ordered by their first device's position in Devices.
func (o *Operator) SendFleet(ctx context.Context, req FleetRequest, onSent func(Sent)) (sent []Sent, unsent []Unsent) {
	if len(req.Devices) == 0 {
		return nil, nil
	}
	if err := o.checkRelay(ctx); err != nil {
		return nil, []Unsent{{Devices: req.Devices, Err: err}}
	}
	size := cmp.Or(req.ChunkSize, thingspace.DefaultMaxDevicesPerRequest)
	slots := make(chan struct{}, cmp.Or(req.Concurrency, DefaultFleetConcurrency))
	var (
		mu sync.Mutex // guards sent, unsent and the calls of onSent
		wg sync.WaitGroup
	)
	var send func(devices []thingspace.RequestedDevice)
	send = func(devices []thingspace.RequestedDevice) {
		defer wg.Done()
		ctx := ownLogFields(ctx, "devices", len(devices))
		requestID, err := o.sendInSlot(ctx, slots, Request{
			Action: req.Action, Devices: devices, AccountName: req.AccountName, SmsrOid: req.SmsrOid,
		})
		if err != nil && len(devices) > 1 && thingspace.ErrorCode(err) == thingspace.CodeTooManyDevices {
			tflog.Info(ctx, "ThingSpace refused a request for carrying too many devices; sending it in two halves",
				map[string]any{"devices": len(devices), "action": string(req.Action)})
			half := len(devices) / 2
			wg.Add(2)
			go send(devices[:half])
			go send(devices[half:])
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			unsent = append(unsent, Unsent{Devices: devices, Err: err})
			return
		}
		s := Sent{RequestID: requestID, Devices: devices}
		sent = append(sent, s)
		if onSent != nil {
			onSent(s)
		}
	}
	for chunk := range slices.Chunk(req.Devices, size) {
		wg.Add(1)
		go send(chunk)
	}
	wg.Wait()

	position := make(map[string]int, len(req.Devices))
	for i, d := range req.Devices {
		position[d.EID] = i
	}
	slices.SortFunc(sent, func(a, b Sent) int { return cmp.Compare(position[a.Devices[0].EID], position[b.Devices[0].EID]) })
	slices.SortFunc(unsent, func(a, b Unsent) int {
		return cmp.Compare(position[a.Devices[0].EID], position[b.Devices[0].EID])
	})
	return sent, unsent
}

// sendInSlot sends one request once a slot is free; a context that ends first sends nothing.
func (o *Operator) sendInSlot(ctx context.Context, slots chan struct{}, req Request) (string, error) {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-slots }()
	if err := ctx.Err(); err != nil {
		return "", err // both cases were ready and select chose the slot
	}
	return o.Send(ctx, req)
}

// Waited is how the wait for one request of a fleet action ended.
type Waited struct {
	Sent
	// Report is what the request's callbacks said; never nil.
	Report *Report
	// Err is Wait's error: ctx's when the timeout or an interruption ended the wait first.
	Err error
}

// WaitFleet follows every request at once, one tracker each (Wait), until every device of every
// request has a final answer or ctx ends. Requests are independent: one that ends early, or
// whose wait fails, does not stop the others. The result is in the order of requests.
func (o *Operator) WaitFleet(ctx context.Context, requests []Sent) []Waited {
	out := make([]Waited, len(requests))
	var wg sync.WaitGroup
	for i, s := range requests {
		wg.Go(func() {
			ctx := ownLogFields(ctx, FieldRequestID, s.RequestID)
			report, err := o.Wait(ctx, s.RequestID, s.Devices)
			out[i] = Waited{Sent: s, Report: report, Err: err}
		})
	}
	wg.Wait()
	return out
}

// ownLogFields returns ctx with a field added, and with it a copy of the logger's fields that
// only this goroutine uses: tflog masks secrets in the fields of a context in place, so
// goroutines logging through one context would race on them.
func ownLogFields(ctx context.Context, key string, value any) context.Context {
	return tflog.SetField(ctx, key, value)
}
