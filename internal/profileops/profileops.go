// Package profileops is what the Terraform resource does, without Terraform: send one
// asynchronous profile action to ThingSpace, then learn its outcome from the callbacks the relay
// holds, either by waiting (apply) or by reading what is there now (refresh, import).
//
// It exists so internal/provider stays a thin mapping between Terraform values and these calls,
// and so the waiting logic can be tested with fakes, without a Terraform CLI.
package profileops

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Sender starts profile actions. *thingspace.Client implements it.
type Sender interface {
	ProfileAction(ctx context.Context, action thingspace.ProfileAction, req thingspace.ProfileRequest) (string, error)
}

// Feed serves the callbacks the relay stored for a request. *relayclient.Client implements it.
type Feed interface {
	// Check proves the relay can be read, with bounded retries.
	Check(ctx context.Context) error
	// ReadAll returns what is stored now, with bounded retries.
	ReadAll(ctx context.Context, requestID string) ([]relaywire.Callback, error)
	// Follow hands each callback to handle, in order, waiting for new ones until handle
	// returns true, ctx ends or the relay answers with a permanent error.
	Follow(ctx context.Context, requestID string, after int64, handle func(relaywire.Callback) (done bool)) (last int64, err error)
}

// Operator sends actions and follows their outcome. It is safe for concurrent use as long as
// its Sender and Feed are: one Operator serves every resource of a provider instance, so they
// share one bearer, one session and one relay connection pool.
type Operator struct {
	sender Sender
	feed   Feed

	// relayReadable records that one relay check succeeded. The check proves the relay's
	// address and read token, which do not change within a provider instance, so a plan of 500
	// resources makes it once rather than 500 times.
	relayReadable atomic.Bool
}

// New returns an Operator that sends through sender and learns outcomes from feed.
func New(sender Sender, feed Feed) *Operator {
	return &Operator{sender: sender, feed: feed}
}

// Request is one profile action for a set of devices.
type Request struct {
	Action      thingspace.ProfileAction
	Devices     []thingspace.RequestedDevice
	AccountName string
	SmsrOid     string
}

// ErrRelayUnreadable wraps the error of the relay check Send makes before sending anything.
var ErrRelayUnreadable = errors.New("the relay cannot be read, so nothing was sent to ThingSpace")

// Send checks that the relay can be read (once per Operator), then issues the action exactly
// once (the client retries only where ThingSpace cannot have acted on it) and returns the requestId every
// callback of this action will carry.
//
// The relay check comes first because an action whose callbacks cannot be read is the worst
// outcome: the devices change, and the apply can neither confirm it nor be safely repeated.
func (o *Operator) Send(ctx context.Context, req Request) (string, error) {
	if err := o.checkRelay(ctx); err != nil {
		return "", err
	}
	body := thingspace.ProfileRequest{AccountName: req.AccountName, SmsrOid: req.SmsrOid}
	for _, d := range req.Devices {
		body.Devices = append(body.Devices, thingspace.ProfileDevice{DeviceIDs: thingspace.DeviceIDs{
			{Kind: thingspace.KindEID, ID: d.EID},
			{Kind: thingspace.KindICCID, ID: d.ICCID},
		}})
	}
	return o.sender.ProfileAction(ctx, req.Action, body)
}

// checkRelay reads the relay once, until a read succeeds. Concurrent first callers may each
// read: that is harmless, and cheaper than making them queue behind one another.
func (o *Operator) checkRelay(ctx context.Context) error {
	if o.relayReadable.Load() {
		return nil
	}
	if err := o.feed.Check(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrRelayUnreadable, err)
	}
	o.relayReadable.Store(true)
	return nil
}
