package profileops

import (
	"fmt"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

var trackedDevices = []thingspace.RequestedDevice{
	{EID: "11111111111111111111111111111111", ICCID: "8914800000000000001"},
	{EID: "22222222222222222222222222222222", ICCID: "8914800000000000002"},
	{EID: "33333333333333333333333333333333", ICCID: "8914800000000000003"},
}

// callbackFor builds a callback for a tracked device, named by EID (kind spelt as given) or,
// with kind "iccid", by ICCID only.
func callbackFor(t *testing.T, requestID string, device int, kind, status string) *thingspace.Callback {
	t.Helper()
	id := trackedDevices[device].EID
	if kind == "iccid" || kind == "ICCID" {
		id = trackedDevices[device].ICCID
	}
	fault := ""
	if status == "Failed" {
		fault = `,"faultResponse":{"faultcode":"DeviceProfileService.REQUEST_FAILED.DeviceStateInvalid","faultstring":"device not active"}`
	}
	cb, err := thingspace.ParseCallback(fmt.Appendf(nil, `{"requestId":%q,"deviceIds":[{"kind":%q,"id":%q}],"status":%q%s}`,
		requestID, kind, id, status, fault))
	if err != nil {
		t.Fatal(err)
	}
	return cb
}

func TestTrackerInterleavedDevices(t *testing.T) {
	tr := newTracker("req-1", trackedDevices)
	steps := []struct {
		device int
		status string
		want   thingspace.Answer
	}{
		{2, "Warning", thingspace.Answer{Device: 2, Outcome: thingspace.OutcomePending}},
		{0, "Success", thingspace.Answer{Device: 0, Outcome: thingspace.OutcomeSuccess}},
		{2, "Success", thingspace.Answer{Device: 2, Outcome: thingspace.OutcomeSuccess}},
	}
	for _, s := range steps {
		if got := tr.observeCallback(callbackFor(t, "req-1", s.device, "eid", s.status)); got != s.want {
			t.Errorf("Observe(device %d %s) = %+v, want %+v", s.device, s.status, got, s.want)
		}
	}
	if tr.done() {
		t.Fatal("Done with device 1 unanswered")
	}
	if got := tr.report().Pending; len(got) != 1 || got[0].RequestedDevice != trackedDevices[1] {
		t.Errorf("Pending() = %v, want device 1 only", got)
	}
	tr.observeCallback(callbackFor(t, "req-1", 1, "eid", "Success"))
	if !tr.done() || len(tr.report().Pending) != 0 || len(tr.report().Results) != 3 || len(tr.report().Failed) != 0 {
		t.Errorf("after every device succeeded: done %v, pending %v, results %d, failed %v",
			tr.done(), tr.report().Pending, len(tr.report().Results), tr.report().Failed)
	}
	if got := tr.report().Results[trackedDevices[2].EID]; got.Status != "Success" || got.ICCID != trackedDevices[2].ICCID {
		t.Errorf("result of device 2 = %+v: want its success, with the requested ICCID filled in", got)
	}
}

func TestTrackerDuplicatesAreHarmless(t *testing.T) {
	tr := newTracker("req-1", trackedDevices[:1])
	for range 3 {
		if got := tr.observeCallback(callbackFor(t, "req-1", 0, "eid", "Success")); got != (thingspace.Answer{Device: 0, Outcome: thingspace.OutcomeSuccess}) {
			t.Errorf("redelivered success: %+v", got)
		}
	}
	if !tr.done() || len(tr.report().Results) != 1 {
		t.Errorf("done %v, results %v", tr.done(), tr.report().Results)
	}
}

func TestTrackerWarningNeverUndoesAFinalAnswer(t *testing.T) {
	tr := newTracker("req-1", trackedDevices[:1])
	tr.observeCallback(callbackFor(t, "req-1", 0, "eid", "Warning"))
	if got := tr.lastStatusOf(trackedDevices[0].EID); got != "Warning" {
		t.Errorf("LastStatus after a warning = %q", got)
	}
	tr.observeCallback(callbackFor(t, "req-1", 0, "eid", "Success"))
	late := tr.observeCallback(callbackFor(t, "req-1", 0, "eid", "Warning"))
	if late != (thingspace.Answer{Device: 0, Outcome: thingspace.OutcomeSuccess}) || !tr.done() || tr.lastStatusOf(trackedDevices[0].EID) != "Success" {
		t.Errorf("a late warning changed the answer: %+v, done %v, last status %q",
			late, tr.done(), tr.lastStatusOf(trackedDevices[0].EID))
	}
}

func TestTrackerFirstFinalAnswerWins(t *testing.T) {
	tr := newTracker("req-1", trackedDevices[:2])
	tr.observeCallback(callbackFor(t, "req-1", 0, "eid", "Failed"))
	if got := tr.observeCallback(callbackFor(t, "req-1", 0, "eid", "Success")); got.Outcome != thingspace.OutcomeFailure {
		t.Errorf("a success after a failure: %+v, want the failure to stand", got)
	}
	tr.observeCallback(callbackFor(t, "req-1", 1, "eid", "Success"))
	failed := tr.report().Failed
	if len(failed) != 1 || failed[0].EID != trackedDevices[0].EID ||
		failed[0].FaultCode != "DeviceProfileService.REQUEST_FAILED.DeviceStateInvalid" {
		t.Errorf("Failed() = %+v, want device 0 with its fault", failed)
	}
	if !tr.done() || len(tr.report().Results) != 2 {
		t.Errorf("a failure is a final answer: done %v, results %v", tr.done(), tr.report().Results)
	}
}

func TestTrackerIgnoresStrays(t *testing.T) {
	tr := newTracker("req-1", trackedDevices[:1])
	other := tr.observeCallback(callbackFor(t, "req-2", 0, "eid", "Success"))
	unknown, err := thingspace.ParseCallback([]byte(`{"requestId":"req-1","deviceIds":[{"kind":"eid","id":"999"}],"status":"Success"}`))
	if err != nil {
		t.Fatal(err)
	}
	stray := tr.observeCallback(unknown)
	if other.Device != -1 || stray.Device != -1 || tr.observeCallback(nil).Device != -1 {
		t.Errorf("stray callbacks answered devices: other request %+v, unknown device %+v", other, stray)
	}
	if tr.done() || len(tr.report().Results) != 0 || tr.lastStatusOf(trackedDevices[0].EID) != "" {
		t.Error("a stray callback changed the tracker")
	}
}

func TestTrackerICCIDFallbackAndKindCase(t *testing.T) {
	tr := newTracker("req-1", trackedDevices)
	tr.observeCallback(callbackFor(t, "req-1", 0, "ICCID", "Failed"))
	tr.observeCallback(callbackFor(t, "req-1", 1, "EID", "Success"))
	tr.observeCallback(callbackFor(t, "req-1", 2, "Eid", "success"))
	if !tr.done() {
		t.Fatalf("pending: %v", tr.report().Pending)
	}
	if got := tr.report().Results[trackedDevices[0].EID]; got.EID != trackedDevices[0].EID || got.Status != "Failed" {
		t.Errorf("a device answered by ICCID only: %+v, want it keyed and filled by its requested EID", got)
	}
}

func TestTrackerRequestIDCaseInsensitive(t *testing.T) {
	tr := newTracker("595f5c44-c31c-4552-8670-020a1545a84d", trackedDevices[:1])
	if got := tr.observeCallback(callbackFor(t, "595F5C44-C31C-4552-8670-020A1545A84D", 0, "eid", "Success")); got.Device != 0 {
		t.Errorf("a requestId in upper case was ignored: %+v", got)
	}
}

// observeCallback is take without the first-final flag, which these tests do not need.
func (t *tracker) observeCallback(cb *thingspace.Callback) thingspace.Answer {
	a, _ := t.take(cb)
	return a
}

func (t *tracker) lastStatusOf(eid string) string {
	for i, d := range t.devices {
		if d.EID == eid {
			return t.lastStatus[i]
		}
	}
	return ""
}
