package profileops_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relayclient"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// fleetDevices returns n distinct devices in EID order.
func fleetDevices(n int) []thingspace.RequestedDevice {
	out := make([]thingspace.RequestedDevice, n)
	for i := range out {
		out[i] = thingspace.RequestedDevice{EID: fmt.Sprintf("8904903200000100000000000000%04d", i), ICCID: fmt.Sprintf("89148000000840784%02d", i)}
	}
	return out
}

// fleetSender stands in for ThingSpace: it refuses a request naming more than limit devices
// with CodeTooManyDevices, and a request naming a device in failFor with another code, as the
// real API does; every request gets its own requestId. gate, when set, holds each call until
// it is closed, so a test can see how many calls are in flight at once.
type fleetSender struct {
	limit   int
	failFor string
	gate    chan struct{}

	inFlight, maxInFlight atomic.Int32
	mu                    sync.Mutex
	calls                 [][]string // the EIDs of every call, refused ones included
}

func (s *fleetSender) ProfileAction(_ context.Context, _ thingspace.ProfileAction, req thingspace.ProfileRequest) (string, error) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxInFlight.Load()
		if n <= m || s.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	if s.gate != nil {
		<-s.gate
	}
	var eids []string
	for _, d := range req.Devices {
		eids = append(eids, d.DeviceIDs.Get(thingspace.KindEID))
	}
	s.mu.Lock()
	s.calls = append(s.calls, eids)
	call := len(s.calls)
	s.mu.Unlock()
	switch {
	case len(eids) > s.limit:
		return "", &thingspace.Error{HTTPStatus: 400, Code: "DeviceService." + thingspace.CodeTooManyDevices,
			ShortCode: thingspace.CodeTooManyDevices, Operation: "enable profile"}
	case s.failFor != "" && slices.Contains(eids, s.failFor):
		return "", &thingspace.Error{HTTPStatus: 400, Code: "DeviceService." + thingspace.CodeDeviceNotFound,
			ShortCode: thingspace.CodeDeviceNotFound, Operation: "enable profile"}
	}
	return fmt.Sprintf("request-%d", call), nil
}

func (s *fleetSender) sizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for _, c := range s.calls {
		out = append(out, len(c))
	}
	slices.Sort(out)
	return out
}

func sentEIDs(sent []profileops.Sent) []string {
	var out []string
	for _, s := range sent {
		for _, d := range s.Devices {
			out = append(out, d.EID)
		}
	}
	return out
}

func eidsOf(devices []thingspace.RequestedDevice) []string {
	var out []string
	for _, d := range devices {
		out = append(out, d.EID)
	}
	return out
}

func TestSendFleetChunksAndReportsEachRequestAsItIsAnswered(t *testing.T) {
	t.Parallel()
	sender := &fleetSender{limit: 200, gate: make(chan struct{})}
	op := profileops.New(sender, acctest.StartRelay(t).Client(t))
	devices := fleetDevices(7)
	var (
		mu       sync.Mutex
		reported []profileops.Sent
	)
	done := make(chan struct{})
	var sent []profileops.Sent
	var unsent []profileops.Unsent
	go func() {
		defer close(done)
		sent, unsent = op.SendFleet(context.Background(), profileops.FleetRequest{
			Action: thingspace.ActionEnable, Devices: devices, AccountName: "a", SmsrOid: smsr,
			ChunkSize: 3, Concurrency: 2,
		}, func(s profileops.Sent) {
			mu.Lock()
			defer mu.Unlock()
			reported = append(reported, s)
		})
	}()
	// Two of the three requests are in flight together, and the third waits for a slot.
	testsupport.Eventually(t, "two requests in flight", func() bool { return sender.inFlight.Load() == 2 })
	close(sender.gate)
	<-done

	if len(unsent) != 0 {
		t.Fatalf("unsent = %+v", unsent)
	}
	if got := sender.maxInFlight.Load(); got != 2 {
		t.Errorf("at most %d requests were in flight, want exactly the concurrency, 2", got)
	}
	if got := sender.sizes(); !slices.Equal(got, []int{1, 3, 3}) {
		t.Errorf("request sizes = %v, want 3, 3 and 1", got)
	}
	if got := sentEIDs(sent); !slices.Equal(got, eidsOf(devices)) {
		t.Errorf("sent devices in order %v, want %v", got, eidsOf(devices))
	}
	if len(reported) != 3 {
		t.Fatalf("onSent was called %d times, want once per request", len(reported))
	}
	ids := map[string]bool{}
	for _, s := range reported {
		ids[s.RequestID] = true
	}
	if len(ids) != 3 {
		t.Errorf("reported requestIds %v, want 3 distinct", ids)
	}
}

func TestSendFleetSplitsOnlyWhatThingSpaceRefusesAsTooMany(t *testing.T) {
	t.Parallel()
	devices := fleetDevices(5)
	// ThingSpace takes 2 devices a request, the provider sends 5: 5 is refused, its halves 2
	// and 3 are sent, 3 is refused, its halves 1 and 2 are sent. One device is unknown to
	// ThingSpace: its request fails with another code and is not sent again.
	sender := &fleetSender{limit: 2, failFor: devices[0].EID}
	op := profileops.New(sender, acctest.StartRelay(t).Client(t))
	ctx, logs := maskingContext()
	sent, unsent := op.SendFleet(ctx, profileops.FleetRequest{
		Action: thingspace.ActionEnable, Devices: devices, AccountName: "a", SmsrOid: smsr,
	}, nil)

	if got := sender.sizes(); !slices.Equal(got, []int{1, 2, 2, 3, 5}) {
		t.Errorf("request sizes = %v, want 5 and 3 refused, then 2, 1 and 2", got)
	}
	if got := sentEIDs(sent); !slices.Equal(got, eidsOf(devices[2:])) {
		t.Errorf("sent %v, want %v", got, eidsOf(devices[2:]))
	}
	if len(unsent) != 1 || !slices.Equal(eidsOf(unsent[0].Devices), eidsOf(devices[:2])) ||
		thingspace.ErrorCode(unsent[0].Err) != thingspace.CodeDeviceNotFound {
		t.Fatalf("unsent = %+v, want the first two devices with DeviceNotFound", unsent)
	}
	if n := strings.Count(logs.String(), "sending it in two halves"); n != 2 {
		t.Errorf("logged %d splits, want 2:\n%s", n, logs.String())
	}
}

func TestSendFleetCannotSplitASingleDevice(t *testing.T) {
	t.Parallel()
	sender := &fleetSender{limit: 0}
	op := profileops.New(sender, acctest.StartRelay(t).Client(t))
	sent, unsent := op.SendFleet(context.Background(), profileops.FleetRequest{
		Action: thingspace.ActionEnable, Devices: fleetDevices(2), AccountName: "a", SmsrOid: smsr,
	}, nil)
	if len(sent) != 0 || len(unsent) != 2 || thingspace.ErrorCode(unsent[1].Err) != thingspace.CodeTooManyDevices {
		t.Fatalf("sent %+v, unsent %+v: want both single devices refused", sent, unsent)
	}
	if got := sender.sizes(); !slices.Equal(got, []int{1, 1, 2}) {
		t.Errorf("request sizes = %v, want 2, then 1 and 1", got)
	}
}

func TestSendFleetSendsNothingWhenTheRelayCannotBeRead(t *testing.T) {
	t.Parallel()
	client, err := relayclient.New(relayclient.Config{BaseURL: acctest.StartRelay(t).URL(), Token: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	sender := &fleetSender{limit: 200}
	sent, unsent := profileops.New(sender, client).SendFleet(context.Background(), profileops.FleetRequest{
		Action: thingspace.ActionEnable, Devices: fleetDevices(3), AccountName: "a", SmsrOid: smsr, ChunkSize: 1,
	}, nil)
	if len(sent) != 0 || len(unsent) != 1 || !errors.Is(unsent[0].Err, profileops.ErrRelayUnreadable) {
		t.Fatalf("sent %+v, unsent %+v: want everything unsent for the relay", sent, unsent)
	}
	if len(sender.sizes()) != 0 {
		t.Fatal("a request was sent although the relay cannot be read")
	}
}

// maskingContext logs as the provider does: through a root logger that masks secrets, which
// tflog applies to the context's fields in place, so goroutines must not share them (go test
// -race tells).
func maskingContext() (context.Context, *testsupport.SyncBuffer) {
	out := &testsupport.SyncBuffer{}
	ctx := tflogtest.RootLogger(context.Background(), out)
	ctx = tflog.SetField(ctx, "resource", "fleet")
	ctx = tflog.MaskAllFieldValuesStrings(ctx, "a-secret")
	return ctx, out
}

// barrierFeed serves each request's success callbacks only once every expected request is
// being followed, so a fleet wait that followed requests one after another would never end.
type barrierFeed struct {
	expected  int
	following atomic.Int32
	all       chan struct{}
	once      sync.Once
	devices   map[string][]thingspace.RequestedDevice
}

func (f *barrierFeed) Check(context.Context) error { return nil }

func (f *barrierFeed) ReadAll(context.Context, string) ([]relaywire.Callback, error) { return nil, nil }

func (f *barrierFeed) Follow(ctx context.Context, requestID string, after int64, handle func(relaywire.Callback) bool) (int64, error) {
	if int(f.following.Add(1)) == f.expected {
		f.once.Do(func() { close(f.all) })
	}
	select {
	case <-f.all:
	case <-ctx.Done():
		return after, ctx.Err()
	}
	for i, d := range f.devices[requestID] {
		payload, err := json.Marshal(success(requestID, d))
		if err != nil {
			return after, err
		}
		if handle(relaywire.Callback{Seq: int64(i + 1), ReceivedAt: time.Now(), Payload: payload}) {
			return int64(i + 1), nil
		}
	}
	<-ctx.Done()
	return after, ctx.Err()
}

func TestWaitFleetFollowsEveryRequestAtOnce(t *testing.T) {
	t.Parallel()
	devices := fleetDevices(5)
	requests := []profileops.Sent{
		{RequestID: "r1", Devices: devices[:2]}, {RequestID: "r2", Devices: devices[2:4]}, {RequestID: "r3", Devices: devices[4:]},
	}
	feed := &barrierFeed{expected: len(requests), all: make(chan struct{}), devices: map[string][]thingspace.RequestedDevice{}}
	for _, r := range requests {
		feed.devices[r.RequestID] = r.Devices
	}
	logCtx, logs := maskingContext()
	ctx, cancel := context.WithTimeout(logCtx, hang)
	defer cancel()
	waited := profileops.New(&recordingSender{}, feed).WaitFleet(ctx, requests)
	if n := strings.Count(logs.String(), profileops.MsgFinalAnswer); n != len(devices) {
		t.Errorf("logged %d final answers, want one per device:\n%s", n, logs.String())
	}
	for i, w := range waited {
		if w.Err != nil || w.RequestID != requests[i].RequestID || w.Report.Status != profileops.StatusSuccess ||
			len(w.Report.Results) != len(requests[i].Devices) {
			t.Errorf("request %s: err %v, report %+v", requests[i].RequestID, w.Err, w.Report)
		}
	}
}

func TestWaitFleetTimeoutKeepsWhatEachRequestLearned(t *testing.T) {
	t.Parallel()
	r := acctest.StartRelay(t)
	op := newOperator(t, r)
	requests := []profileops.Sent{
		{RequestID: requestID, Devices: []thingspace.RequestedDevice{deviceA}},
		{RequestID: "another-request", Devices: []thingspace.RequestedDevice{deviceB}},
	}
	r.Post(t, success(requestID, deviceA))
	r.Post(t, warning(deviceB)) // a warning of the first request names B: ignored by both
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	waited := op.WaitFleet(ctx, requests)
	if waited[0].Err != nil || waited[0].Report.Status != profileops.StatusSuccess {
		t.Errorf("first request: err %v, report %+v; want Success", waited[0].Err, waited[0].Report)
	}
	if !errors.Is(waited[1].Err, context.DeadlineExceeded) || len(waited[1].Report.Pending) != 1 ||
		waited[1].Report.Pending[0].EID != deviceB.EID {
		t.Errorf("second request: err %v, report %+v; want B pending at the timeout", waited[1].Err, waited[1].Report)
	}
}
