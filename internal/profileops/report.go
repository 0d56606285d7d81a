package profileops

import (
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Status summarises a request across its devices; it is the resource's `status` attribute.
type Status string

// The three request statuses. Failed wins over Pending: once one device has failed the request
// cannot end in success, and saying so early is what a reviewer needs.
const (
	StatusSuccess Status = "Success"
	StatusFailed  Status = "Failed"
	StatusPending Status = "Pending"
)

// PendingDevice is a requested device without a final answer yet.
type PendingDevice struct {
	thingspace.RequestedDevice
	// LastStatus is the status of the last callback seen for it ("Warning"), or "" if none came.
	LastStatus string
}

// Report is what is known about one request after reading its callbacks.
type Report struct {
	RequestID string
	Status    Status
	// Results holds each device's final answer, by EID.
	Results map[string]thingspace.DeviceResult
	// Failed lists the devices whose final answer is a failure, in request order.
	Failed []thingspace.DeviceResult
	// Pending lists the devices still without a final answer, in request order.
	Pending []PendingDevice
	// CompletedAt is when the relay stored the callback that gave the last device its final
	// answer; zero while any device is pending. It comes from the relay, not the local clock,
	// so a refresh or an import computes the same value the apply did.
	CompletedAt time.Time
	// Callbacks counts the callbacks read, including duplicates, warnings and unparseable ones.
	Callbacks int
}

// Done reports whether every device has a final answer.
func (r *Report) Done() bool { return len(r.Pending) == 0 }

func statusOf(failed, pending int) Status {
	switch {
	case failed > 0:
		return StatusFailed
	case pending > 0:
		return StatusPending
	default:
		return StatusSuccess
	}
}
