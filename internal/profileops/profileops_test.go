package profileops_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relayclient"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// The tests run against a real relay on loopback and post callbacks to it as ThingSpace would,
// so ordering, duplicates and long-poll wake-ups are the real ones.

const (
	requestID = "595f5c44-c31c-4552-8670-020a1545a84d"
	smsr      = "1.3.6.1.4.1.31746.1.500.200.101.5"
	// hang bounds how long a test waits for something that must happen, so a bug fails the
	// test instead of hanging it; it is never what a test measures.
	hang = 30 * time.Second
)

var (
	deviceA = thingspace.RequestedDevice{EID: "666456789123456789123456784008", ICCID: "89148000000840784259"}
	deviceB = thingspace.RequestedDevice{EID: "89049032000001000000000000000074", ICCID: "8914800000084078423"}
)

func success(id string, d thingspace.RequestedDevice) map[string]any {
	return map[string]any{
		"requestId": id,
		"deviceIds": []map[string]string{{"id": "666456789014008", "kind": "imei"}, {"id": d.EID, "kind": "eid"}},
		"deviceResponse": map[string]any{"deviceProfileResponse": map[string]any{
			"deviceIdentifierCollection": []map[string]string{
				{"id": "666456789014008", "kind": "imei"}, {"id": d.ICCID, "kind": "iccid"},
				{"id": "2022326360", "kind": "mdn"}, {"id": d.EID, "kind": "eid"},
			},
			"ipAddress": "101.0.1.216", "state": "Active", "servicePlan": "RP4235311",
			"deviceCredential": map[string]string{"username": "2022326360@vzw4g.com", "password": "2022326360"},
			"smsrOid":          smsr, "profileStatus": "enable", "euiccStatus": "EXECUTED_SUCCESS",
			"euiccStatusCode": "1.2.365", "euiccStatusDesc": "EUICC device profile has been updated",
		}},
		"status": "Success", "callbackCount": 1, "maxCallbackThreshold": 4,
	}
}

func warning(d thingspace.RequestedDevice) map[string]any {
	return map[string]any{
		"requestId": requestID, "status": thingspace.CallbackStatusWarning,
		"deviceIds": []map[string]string{{"id": d.EID, "kind": "EID"}},
	}
}

func failure(id string, d thingspace.RequestedDevice) map[string]any {
	return map[string]any{
		"requestId": id, "status": "Failed",
		"deviceIds": []map[string]string{{"id": d.EID, "kind": "eid"}, {"id": d.ICCID, "kind": "iccid"}},
		"faultResponse": map[string]string{
			"faultcode":   "DeviceService.INPUT_INVALID.DeviceState.Invalid",
			"faultstring": "The device is not active.",
		},
	}
}

func newOperator(t *testing.T, r *acctest.Relay) *profileops.Operator {
	return profileops.New(&recordingSender{}, r.Client(t))
}

// waitAsync runs Wait in the background and returns a channel with its outcome.
func waitAsync(ctx context.Context, op *profileops.Operator, devices ...thingspace.RequestedDevice) <-chan waitResult {
	done := make(chan waitResult, 1)
	go func() {
		report, err := op.Wait(ctx, requestID, devices)
		done <- waitResult{report, err}
	}()
	return done
}

type waitResult struct {
	report *profileops.Report
	err    error
}

func receive(t *testing.T, done <-chan waitResult) waitResult {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(hang):
		t.Fatal("Wait did not return")
		return waitResult{}
	}
}

func TestWaitEndsWhenEveryDeviceHasAFinalAnswer(t *testing.T) {
	t.Parallel()
	r := acctest.StartRelay(t)
	op := newOperator(t, r)
	// Stored before the wait starts: a warning for A, B's success twice (a redelivery), and a
	// callback of another request that must be ignored.
	r.Post(t, warning(deviceA))
	r.Post(t, success(requestID, deviceB))
	dup := success(requestID, deviceB)
	dup["callbackCount"] = 2
	r.Post(t, dup)
	r.Post(t, success("another-request", deviceA))

	done := waitAsync(context.Background(), op, deviceA, deviceB)
	// The wait cannot end before A's final answer, which arrives while it long-polls.
	r.Post(t, success(requestID, deviceA))
	got := receive(t, done)

	if got.err != nil {
		t.Fatalf("Wait: %v", got.err)
	}
	rep := got.report
	if rep.Status != profileops.StatusSuccess || len(rep.Pending) != 0 || len(rep.Failed) != 0 {
		t.Fatalf("report = %+v, want Success with nothing pending or failed", rep)
	}
	if len(rep.Results) != 2 || rep.Results[deviceA.EID].IPAddress != "101.0.1.216" || rep.Results[deviceB.EID].ICCID != deviceB.ICCID {
		t.Fatalf("results = %+v", rep.Results)
	}
	if rep.CompletedAt.IsZero() {
		t.Fatal("CompletedAt not set on a finished request")
	}
}

func TestWaitReportsFailuresAndWarningsNeverUndoThem(t *testing.T) {
	t.Parallel()
	r := acctest.StartRelay(t)
	op := newOperator(t, r)
	r.Post(t, failure(requestID, deviceA))
	r.Post(t, warning(deviceA)) // a late warning is progress, never final
	r.Post(t, success(requestID, deviceB))

	got := receive(t, waitAsync(context.Background(), op, deviceA, deviceB))
	if got.err != nil {
		t.Fatalf("Wait: %v", got.err)
	}
	rep := got.report
	if rep.Status != profileops.StatusFailed || len(rep.Failed) != 1 {
		t.Fatalf("report = %+v, want one failure", rep)
	}
	if f := rep.Failed[0]; f.EID != deviceA.EID || f.FaultCode != "DeviceService.INPUT_INVALID.DeviceState.Invalid" || f.FaultString == "" {
		t.Fatalf("failure = %+v", f)
	}
}

func TestWaitTimeoutKeepsPendingDevicesAndTheirLastStatus(t *testing.T) {
	t.Parallel()
	r := acctest.StartRelay(t)
	op := newOperator(t, r)
	r.Post(t, warning(deviceA))
	r.Post(t, success(requestID, deviceB))

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	got := receive(t, waitAsync(ctx, op, deviceA, deviceB))

	if !errors.Is(got.err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want one wrapping context.DeadlineExceeded", got.err)
	}
	rep := got.report
	if rep.Status != profileops.StatusPending || len(rep.Pending) != 1 || !rep.CompletedAt.IsZero() {
		t.Fatalf("report = %+v, want one device pending", rep)
	}
	if p := rep.Pending[0]; p.EID != deviceA.EID || p.LastStatus != thingspace.CallbackStatusWarning {
		t.Fatalf("pending = %+v, want device A with last status Warning", p)
	}
	if _, ok := rep.Results[deviceB.EID]; !ok {
		t.Fatal("the finished device's result was lost on timeout")
	}
}

func TestWaitStopsAtOnceWhenCancelled(t *testing.T) {
	t.Parallel()
	r := acctest.StartRelay(t)
	op := newOperator(t, r)
	ctx, cancel := context.WithCancel(context.Background())
	done := waitAsync(ctx, op, deviceA)
	cancel()
	got := receive(t, done)
	if !errors.Is(got.err, context.Canceled) {
		t.Fatalf("err = %v, want one wrapping context.Canceled", got.err)
	}
	if got.report == nil || len(got.report.Pending) != 1 || got.report.Pending[0].LastStatus != "" {
		t.Fatalf("report = %+v, want device A pending without any callback", got.report)
	}
}

func TestWaitFailsFastOnAWrongRelayToken(t *testing.T) {
	t.Parallel()
	r := acctest.StartRelay(t)
	client, err := relayclient.New(relayclient.Config{BaseURL: r.URL(), Token: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	op := profileops.New(&recordingSender{}, client)
	got := receive(t, waitAsync(context.Background(), op, deviceA))
	if got.err == nil || errors.Is(got.err, context.DeadlineExceeded) || errors.Is(got.err, context.Canceled) {
		t.Fatalf("err = %v, want the relay's refusal", got.err)
	}
}

func TestRefreshReadsWhatIsStoredWithoutWaiting(t *testing.T) {
	t.Parallel()
	r := acctest.StartRelay(t)
	op := newOperator(t, r)

	rep, err := op.Refresh(context.Background(), requestID, []thingspace.RequestedDevice{deviceA})
	if err != nil {
		t.Fatalf("Refresh of an unknown request: %v", err)
	}
	if rep.Callbacks != 0 || rep.Status != profileops.StatusPending {
		t.Fatalf("report = %+v, want nothing read and Pending", rep)
	}

	r.Post(t, warning(deviceA))
	r.Post(t, success(requestID, deviceA))
	first, err := op.Refresh(context.Background(), requestID, []thingspace.RequestedDevice{deviceA})
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if first.Status != profileops.StatusSuccess || first.Callbacks != 2 {
		t.Fatalf("report = %+v, want Success from 2 callbacks", first)
	}
	// A redelivery later does not move completed_at: it is the time of the first final answer.
	r.Post(t, map[string]any{"requestId": requestID, "status": "Success", "callbackCount": 3,
		"deviceIds": []map[string]string{{"id": deviceA.EID, "kind": "eid"}}, "late": true})
	again, err := op.Refresh(context.Background(), requestID, []thingspace.RequestedDevice{deviceA})
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if !again.CompletedAt.Equal(first.CompletedAt) || again.Results[deviceA.EID].IPAddress != "101.0.1.216" {
		t.Fatalf("a later callback changed the outcome: %+v then %+v", first, again)
	}
}

func TestRefreshReadsEveryPage(t *testing.T) {
	t.Parallel()
	r := acctest.StartRelay(t)
	op := newOperator(t, r)
	// More distinct callbacks than one relay page holds (500), posted concurrently.
	const progress = 520
	var wg sync.WaitGroup
	for worker := range 8 {
		wg.Go(func() {
			for i := worker; i < progress; i += 8 {
				p := warning(deviceA)
				p["progress"] = i
				r.Post(t, p)
			}
		})
	}
	wg.Wait()
	r.Post(t, success(requestID, deviceA))

	rep, err := op.Refresh(context.Background(), requestID, []thingspace.RequestedDevice{deviceA})
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if rep.Callbacks != progress+1 || rep.Status != profileops.StatusSuccess {
		t.Fatalf("read %d callbacks with status %s, want %d and Success", rep.Callbacks, rep.Status, progress+1)
	}
}

func TestDiscoverRebuildsTheRequest(t *testing.T) {
	t.Parallel()
	r := acctest.StartRelay(t)
	op := newOperator(t, r)
	r.Post(t, warning(deviceB))
	r.Post(t, success(requestID, deviceB)) // arrives first, sorts last
	r.Post(t, success(requestID, deviceA))
	r.Post(t, map[string]any{"requestId": requestID, "status": "Success", "unrelated": "not a device"})

	found, err := op.Discover(context.Background(), requestID)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	want := []thingspace.RequestedDevice{deviceA, deviceB} // ordered by EID
	if fmt.Sprint(found.Devices) != fmt.Sprint(want) {
		t.Fatalf("devices = %v, want %v", found.Devices, want)
	}
	if found.SmsrOid != smsr || found.Report.Status != profileops.StatusSuccess || len(found.Report.Results) != 2 {
		t.Fatalf("discovery = %+v, report %+v", found, found.Report)
	}
}

func TestDiscoverSaysWhenTheRelayHoldsNothing(t *testing.T) {
	t.Parallel()
	r := acctest.StartRelay(t)
	_, err := newOperator(t, r).Discover(context.Background(), requestID)
	if !errors.Is(err, profileops.ErrNothingStored) {
		t.Fatalf("err = %v, want ErrNothingStored", err)
	}
}

func TestSendNamesEachDeviceByEIDAndICCID(t *testing.T) {
	t.Parallel()
	sender := &recordingSender{requestID: requestID}
	op := profileops.New(sender, acctest.StartRelay(t).Client(t))
	id, err := op.Send(context.Background(), profileops.Request{
		Action: thingspace.ActionEnable, Devices: []thingspace.RequestedDevice{deviceA, deviceB},
		AccountName: "0000123456-00001", SmsrOid: smsr,
	})
	if err != nil || id != requestID {
		t.Fatalf("Send = %q, %v", id, err)
	}
	if len(sender.sent) != 1 || sender.actions[0] != thingspace.ActionEnable {
		t.Fatalf("sent %d requests (%v), want one enable", len(sender.sent), sender.actions)
	}
	body := sender.sent[0]
	if body.AccountName != "0000123456-00001" || body.SmsrOid != smsr || len(body.Devices) != 2 {
		t.Fatalf("body = %+v", body)
	}
	ids := body.Devices[1].DeviceIDs
	if ids.Get(thingspace.KindEID) != deviceB.EID || ids.Get(thingspace.KindICCID) != deviceB.ICCID || len(ids) != 2 {
		t.Fatalf("second device ids = %+v", ids)
	}
}

// recordingSender stands in for the ThingSpace client where a test only checks what is sent.
type recordingSender struct {
	requestID string
	actions   []thingspace.ProfileAction
	sent      []thingspace.ProfileRequest
}

func (s *recordingSender) ProfileAction(_ context.Context, a thingspace.ProfileAction, req thingspace.ProfileRequest) (string, error) {
	s.actions = append(s.actions, a)
	s.sent = append(s.sent, req)
	return s.requestID, nil
}

func TestSendRefusesWhenTheRelayCannotBeRead(t *testing.T) {
	t.Parallel()
	r := acctest.StartRelay(t)
	client, err := relayclient.New(relayclient.Config{BaseURL: r.URL(), Token: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	sender := &recordingSender{requestID: requestID}
	_, err = profileops.New(sender, client).Send(context.Background(), profileops.Request{
		Action: thingspace.ActionEnable, Devices: []thingspace.RequestedDevice{deviceA}, AccountName: "a", SmsrOid: smsr,
	})
	if !errors.Is(err, profileops.ErrRelayUnreadable) {
		t.Fatalf("err = %v, want ErrRelayUnreadable", err)
	}
	if len(sender.sent) != 0 {
		t.Fatalf("sent %d action(s) although the relay cannot be read", len(sender.sent))
	}
}

// The observer hears each callback that moved a device on, in the order the relay stored them:
// a warning while the device waits, and each device's final answer once. Redeliveries, a late
// warning and another request's callbacks are not news, so it never hears of them.
func TestWaitObservedReportsEachStepOfEachDeviceOnce(t *testing.T) {
	t.Parallel()
	r := acctest.StartRelay(t)
	op := newOperator(t, r)
	r.Post(t, warning(deviceA))
	r.Post(t, success("another-request", deviceA))
	r.Post(t, success(requestID, deviceB))
	r.Post(t, success(requestID, deviceB)) // a redelivery

	var seen []profileops.Observation
	done := make(chan waitResult, 1)
	go func() {
		report, err := op.WaitObserved(context.Background(), requestID, []thingspace.RequestedDevice{deviceA, deviceB},
			func(o profileops.Observation) { seen = append(seen, o) })
		done <- waitResult{report, err}
	}()
	// A's failure arrives while the wait long-polls; the warning after it comes too late to count.
	r.Post(t, failure(requestID, deviceA))
	r.Post(t, warning(deviceA))
	got := receive(t, done)
	if got.err != nil {
		t.Fatalf("WaitObserved: %v", got.err)
	}
	if got.report.Status != profileops.StatusFailed {
		t.Fatalf("report = %+v, want Failed", got.report)
	}
	want := []profileops.Observation{
		{Device: deviceA, Status: thingspace.CallbackStatusWarning, Outcome: thingspace.OutcomePending, Answered: 0, Total: 2},
		{Device: deviceB, Status: "Success", Outcome: thingspace.OutcomeSuccess, Final: true, Answered: 1, Total: 2},
		{Device: deviceA, Status: "Failed", Outcome: thingspace.OutcomeFailure, Final: true, Answered: 2, Total: 2,
			FaultCode: "DeviceService.INPUT_INVALID.DeviceState.Invalid"},
	}
	if len(seen) != len(want) {
		t.Fatalf("observed %d callbacks, want %d:\n got %+v\nwant %+v", len(seen), len(want), seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("observation %d = %+v, want %+v", i, seen[i], want[i])
		}
	}
}
