package simulator

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

func TestEveryProfileActionChangesTheProfile(t *testing.T) {
	f := newFixture(t, Options{})
	h := f.auth()
	for _, a := range []thingspace.ProfileAction{thingspace.ActionDisable, thingspace.ActionEnable,
		thingspace.ActionDownloadDisable, thingspace.ActionDownloadEnable, thingspace.ActionDelete} {
		requestID := f.action(h, a, profileRequest(eidA))
		cb := f.nextCallback().cb
		if cb.RequestID != requestID || cb.Status != thingspace.CallbackStatusSuccess {
			t.Fatalf("%s: callback %s %s, want success for %s", a, cb.RequestID, cb.Status, requestID)
		}
		if got := cb.DeviceResponse.DeviceProfileResponse.ProfileStatus; got != string(a) {
			t.Errorf("%s: callback profileStatus = %q, want %q", a, got, a)
		}
		if got := f.sim.Device(eidA).ProfileStatus; got != strings.ToUpper(string(a)) {
			t.Errorf("%s: device profile = %q, want %q", a, got, strings.ToUpper(string(a)))
		}
	}
	if n := f.sim.AcceptedActions(thingspace.ActionEnable); n != 1 {
		t.Errorf("AcceptedActions(enable) = %d, want 1", n)
	}
}

// TestEnableAfterDeleteFails shows the precondition: only a downloaded profile can be enabled.
func TestEnableAfterDeleteFails(t *testing.T) {
	f := newFixture(t, Options{})
	h := f.auth()
	f.action(h, thingspace.ActionDelete, profileRequest(eidA))
	f.nextCallback()
	f.action(h, thingspace.ActionEnable, profileRequest(eidA))
	cb := f.nextCallback().cb
	if cb.Status != thingspace.CallbackStatusFailed || cb.FaultResponse == nil ||
		cb.FaultResponse.FaultCode != "DeviceService."+thingspace.CodeDeviceStateInvalid {
		t.Fatalf("enable of a deleted profile: %+v", cb)
	}
	if got := f.sim.Device(eidA).ProfileStatus; got != "DELETE" {
		t.Fatalf("profile = %q, want it unchanged (DELETE)", got)
	}
}

func TestProfileActionValidation(t *testing.T) {
	f := newFixture(t, Options{MaxDevicesPerRequest: 2})
	h := f.auth()
	valid := func(change func(*thingspace.ProfileRequest)) thingspace.ProfileRequest {
		req := profileRequest(eidA)
		change(&req)
		return req
	}
	withIDs := func(ids ...thingspace.DeviceID) thingspace.ProfileRequest {
		return valid(func(r *thingspace.ProfileRequest) { r.Devices[0].DeviceIDs = ids })
	}
	eid, iccid := thingspace.DeviceID{Kind: "eid", ID: eidA}, thingspace.DeviceID{Kind: "iccid", ID: "89148000000840784259"}
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"not JSON", "devices=1", 400, "DeviceService.INPUT_INVALID.RequestBody.Invalid"},
		{"two JSON values", `{} {}`, 400, "DeviceService.INPUT_INVALID.RequestBody.Invalid"},
		{"no devices", `{"accountName":"0000123456-00001","smsrOid":"1"}`, 400, "DeviceService." + thingspace.CodeIdentifierInvalid},
		{"empty devices", valid(func(r *thingspace.ProfileRequest) { r.Devices = []thingspace.ProfileDevice{} }), 400, "DeviceService." + thingspace.CodeIdentifierInvalid},
		{"no accountName", valid(func(r *thingspace.ProfileRequest) { r.AccountName = "" }), 400, "DeviceService." + thingspace.CodeIdentifierInvalid},
		{"no smsrOid", valid(func(r *thingspace.ProfileRequest) { r.SmsrOid = "" }), 400, "DeviceService." + thingspace.CodeIdentifierInvalid},
		{"no EID", withIDs(iccid), 400, "DeviceService." + thingspace.CodeIdentifierInvalid},
		{"no ICCID", withIDs(eid), 400, "DeviceService." + thingspace.CodeIdentifierInvalid},
		{"EID with letters", withIDs(thingspace.DeviceID{Kind: "eid", ID: "8904903200000100000000000000007A"}, iccid), 400, "DeviceService." + thingspace.CodeIdentifierInvalid},
		{"EID too long", withIDs(thingspace.DeviceID{Kind: "eid", ID: eidA + "0"}, iccid), 400, "DeviceService." + thingspace.CodeIdentifierInvalid},
		{"ICCID too long", withIDs(eid, thingspace.DeviceID{Kind: "iccid", ID: strings.Repeat("8", thingspace.MaxICCIDDigits+1)}), 400, "DeviceService." + thingspace.CodeIdentifierInvalid},
		{"ICCID with spaces", withIDs(eid, thingspace.DeviceID{Kind: "iccid", ID: "8914 8000 0008 4078 4259"}), 400, "DeviceService." + thingspace.CodeIdentifierInvalid},
		{"too many devices", profileRequest(eidA, eidB, eidC), 400, "DeviceService." + thingspace.CodeTooManyDevices},
		{"unknown account", valid(func(r *thingspace.ProfileRequest) { r.AccountName = "9999999999-00001" }), 400, "DeviceService." + thingspace.CodeAccountNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := f.do(http.MethodPost, thingspace.ProfileActionPath(thingspace.ActionEnable), h, c.body).m2mError(t, c.status)
			if e.ErrorCode != c.code || e.ErrorMessage == "" {
				t.Fatalf("error = %+v, want code %s and a message", e, c.code)
			}
		})
	}
	if n := f.sim.AcceptedActions(thingspace.ActionEnable); n != 0 {
		t.Fatalf("%d invalid requests were accepted", n)
	}
}

func TestProfileActionAcceptsMixedCaseKindsAndUnknownFields(t *testing.T) {
	f := newFixture(t, Options{})
	body := fmt.Sprintf(`{"devices":[{"deviceIds":[{"kind":"EID","id":%q},{"kind":"ICCID","id":"89148000000840784259"},{"kind":"Imei","id":"1"}]}],
		"accountName":%q,"smsrOid":"1.2","comment":"ignored"}`, eidA, DefaultAccount)
	requestID := f.action(f.auth(), thingspace.ActionEnable, body)
	if cb := f.nextCallback().cb; cb.RequestID != requestID {
		t.Fatalf("callback for %s, want %s", cb.RequestID, requestID)
	}
	if got := f.sim.Device(eidA).ICCID; got != "89148000000840784259" {
		t.Fatalf("device ICCID = %q, want the requested one", got)
	}
}

func TestProfileActionRouteErrors(t *testing.T) {
	f := newFixture(t, Options{})
	h := f.auth()
	resp := f.do(http.MethodGet, thingspace.ProfileActionPath(thingspace.ActionEnable), h, nil)
	var fault thingspace.GatewayFault
	resp.json(t, &fault)
	if resp.status != http.StatusMethodNotAllowed || fault.Fault.Code != "405" || resp.header.Get("Allow") != http.MethodPost {
		t.Fatalf("GET on an action: %d %s (Allow %q)", resp.status, resp.body, resp.header.Get("Allow"))
	}
	resp = f.do(http.MethodPost, thingspace.ProfileActionPath("launch"), h, profileRequest(eidA))
	resp.json(t, &fault)
	if resp.status != http.StatusNotFound || fault.Fault.Code != "404" {
		t.Fatalf("unknown action: %d %s", resp.status, resp.body)
	}
	reqs := f.sim.Requests()
	if last := reqs[len(reqs)-1]; last.Endpoint != EndpointProfileAction || last.Action != "launch" || last.Status != http.StatusNotFound {
		t.Fatalf("log entry = %+v", last)
	}
}

func TestOutcomes(t *testing.T) {
	const warnFirst = 0
	cases := []struct {
		outcome  Outcome
		statuses []string
	}{
		{OutcomeSuccess, []string{"Success"}},
		{OutcomeFailure, []string{"Failed"}},
		{OutcomeWarningThenSuccess, []string{"Warning", "Success"}},
		{OutcomeWarningThenFailure, []string{"Warning", "Failed"}},
	}
	for _, c := range cases {
		t.Run(string(c.outcome), func(t *testing.T) {
			// One worker sends in due order, so the warning (due at once) precedes the final.
			f := newFixture(t, Options{MaxConcurrentDeliveries: 1})
			f.sim.SetDevice(eidA, DeviceBehavior{Outcome: c.outcome, WarningDelay: warnFirst, Delay: Duration(5 * time.Millisecond),
				FailureCode: "REQUEST_FAILED.DeviceNotReachable", FailureMessage: "device unreachable"})
			requestID := f.action(f.auth(), thingspace.ActionEnable, profileRequest(eidA))
			for _, want := range c.statuses {
				got := f.nextCallback()
				cb := got.cb
				if cb.Status != want || cb.RequestID != requestID || cb.DeviceIDs.Get(thingspace.KindEID) != eidA {
					t.Fatalf("callback %s for %s/%s, want %s", cb.Status, cb.RequestID, cb.DeviceIDs.Get("eid"), want)
				}
				checkShape(t, got, want)
			}
			f.waitIdle()
			wantProfile := "ENABLE"
			if c.outcome.fails() {
				wantProfile = profileStatusInitial
			}
			if got := f.sim.Device(eidA).ProfileStatus; got != wantProfile {
				t.Errorf("profile = %q, want %q", got, wantProfile)
			}
		})
	}
}

// checkShape checks what each kind of callback carries besides its status.
func checkShape(t *testing.T, got receivedCallback, status string) {
	t.Helper()
	_, hasDevice := got.body["deviceResponse"]
	_, hasFault := got.body["faultResponse"]
	switch status {
	case "Success":
		if !hasDevice || hasFault {
			t.Errorf("success callback without deviceResponse or with faultResponse: %s", got.raw)
		}
	case "Failed":
		fr := got.cb.FaultResponse
		if hasDevice || fr == nil || fr.FaultCode != "DeviceService.REQUEST_FAILED.DeviceNotReachable" || fr.FaultString != "device unreachable" {
			t.Errorf("failure callback does not carry the chosen fault: %s", got.raw)
		}
	case "Warning":
		if hasDevice || hasFault {
			t.Errorf("warning callback carries a result: %s", got.raw)
		}
	}
	if got.cb.Username != listenerUser || got.cb.Password != listenerPassword {
		t.Errorf("callback does not echo the listener credentials: %s", got.raw)
	}
}

func TestSilenceAmongOthers(t *testing.T) {
	f := newFixture(t, Options{})
	f.sim.SetDevice(eidB, DeviceBehavior{Outcome: OutcomeSilence})
	h := f.auth()
	requestID := f.action(h, thingspace.ActionEnable, profileRequest(eidA, eidB))
	if cb := f.nextCallback().cb; cb.DeviceIDs.Get(thingspace.KindEID) != eidA {
		t.Fatalf("callback for %s, want only %s", cb.DeviceIDs.Get("eid"), eidA)
	}
	f.waitIdle()
	for _, d := range f.sim.Deliveries() {
		if d.EID == eidB {
			t.Fatalf("a silent device sent %+v", d)
		}
	}
	st := f.requestStatus(h, DefaultAccount, requestID)
	if st.Status != "Pending" || st.SubRequests[1].Status != "Pending" || st.SubRequests[0].Status != "Success" {
		t.Fatalf("request status = %+v, want Pending with the silent device pending", st)
	}
}

func TestDefaultBehaviorAndFailureDefaults(t *testing.T) {
	f := newFixture(t, Options{DefaultBehavior: DeviceBehavior{Outcome: OutcomeFailure}})
	f.action(f.auth(), thingspace.ActionEnable, profileRequest(eidA))
	fr := f.nextCallback().cb.FaultResponse
	if fr == nil || fr.FaultCode != "DeviceService."+thingspace.CodeUnexpectedError || fr.FaultString == "" {
		t.Fatalf("default failure = %+v", fr)
	}
}

func TestRedeliveryUntilAcknowledged(t *testing.T) {
	f := newFixture(t, Options{CallbackRetryInterval: time.Millisecond})
	f.setAnswer(func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	requestID := f.action(f.auth(), thingspace.ActionEnable, profileRequest(eidA))
	for want := 1; want <= 3; want++ {
		cb := f.nextCallback().cb
		if cb.CallbackCount != want || cb.RequestID != requestID || cb.MaxCallbackThreshold != thingspace.DefaultMaxCallbackThreshold {
			t.Fatalf("send %d carried callbackCount %d (threshold %d)", want, cb.CallbackCount, cb.MaxCallbackThreshold)
		}
	}
	f.waitIdle()
	var statuses []int
	for _, d := range f.sim.Deliveries() {
		statuses = append(statuses, d.ListenerStatus)
	}
	if want := []int{500, 500, 200}; fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Fatalf("listener statuses = %v, want %v", statuses, want)
	}
}

func TestRedeliveryStopsAtThreshold(t *testing.T) {
	f := newFixture(t, Options{CallbackRetryInterval: time.Millisecond, MaxCallbackThreshold: 3})
	f.setAnswer(func(int) int { return http.StatusServiceUnavailable })
	f.action(f.auth(), thingspace.ActionEnable, profileRequest(eidA))
	for want := 1; want <= 3; want++ {
		if cb := f.nextCallback().cb; cb.CallbackCount != want || cb.MaxCallbackThreshold != 3 {
			t.Fatalf("send %d: callbackCount %d, threshold %d", want, cb.CallbackCount, cb.MaxCallbackThreshold)
		}
	}
	f.waitIdle()
	if n := len(f.sim.Deliveries()); n != 3 {
		t.Fatalf("%d sends, want exactly the threshold (3)", n)
	}
}

func TestRedeliveryWhenTheListenerIsUnreachable(t *testing.T) {
	f := newFixture(t, Options{CallbackRetryInterval: time.Millisecond, MaxCallbackThreshold: 2})
	f.sim.RegisterListener(DefaultAccount, thingspace.CallbackListener{Name: thingspace.ServiceDeviceProfile, URL: "http://127.0.0.1:1/unreachable"})
	f.action(f.auth(), thingspace.ActionEnable, profileRequest(eidA))
	f.waitIdle()
	d := f.sim.Deliveries()
	if len(d) != 2 || d[0].ListenerStatus != 0 || d[0].Err == "" || d[1].CallbackCount != 2 {
		t.Fatalf("deliveries = %+v, want two failed sends", d)
	}
}

func TestDuplicates(t *testing.T) {
	f := newFixture(t, Options{})
	f.sim.SetDevice(eidA, DeviceBehavior{Duplicates: 2})
	f.action(f.auth(), thingspace.ActionEnable, profileRequest(eidA))
	first := f.nextCallback()
	for range 2 {
		if again := f.nextCallback(); string(again.raw) != string(first.raw) {
			t.Fatalf("duplicate differs from the original:\n%s\n%s", again.raw, first.raw)
		}
	}
	f.waitIdle()
	d := f.sim.Deliveries()
	if len(d) != 3 || d[0].Duplicate || !d[1].Duplicate || !d[2].Duplicate {
		t.Fatalf("deliveries = %+v, want one send and two duplicates", d)
	}
}

// TestBeforeResponse proves the ordering: the final callback has reached the listener when the
// action's response is read, and the request was still unanswered while the listener ran.
func TestBeforeResponse(t *testing.T) {
	f := newFixture(t, Options{})
	f.sim.SetDevice(eidA, DeviceBehavior{Outcome: OutcomeWarningThenSuccess, Delay: Duration(time.Hour), BeforeResponse: true})
	unanswered := make(chan bool, 2)
	f.setAnswer(func(int) int {
		reqs := f.sim.Requests()
		last := reqs[len(reqs)-1]
		unanswered <- last.Endpoint == EndpointProfileAction && last.Status == 0
		return http.StatusOK
	})
	requestID := f.action(f.auth(), thingspace.ActionEnable, profileRequest(eidA))
	if n := len(f.callbacks); n != 2 {
		t.Fatalf("%d callbacks had arrived when the response was read, want 2", n)
	}
	for _, want := range []string{"Warning", "Success"} {
		if cb := f.nextCallback().cb; cb.Status != want || cb.RequestID != requestID {
			t.Fatalf("got %s for %s, want %s for %s", cb.Status, cb.RequestID, want, requestID)
		}
		if !<-unanswered {
			t.Fatal("the action had been answered before its callback was delivered")
		}
	}
}

func (f *fixture) requestStatus(h http.Header, account, requestID string) thingspace.RequestStatus {
	f.t.Helper()
	var st thingspace.RequestStatus
	f.okJSON(http.MethodGet, thingspace.RequestStatusPath(account, requestID), h, nil, &st)
	return st
}

func TestRequestStatus(t *testing.T) {
	f := newFixture(t, Options{})
	f.sim.SetDevice(eidB, DeviceBehavior{Outcome: OutcomeFailure})
	h := f.auth()
	requestID := f.action(h, thingspace.ActionEnable, profileRequest(eidA, eidB))
	f.nextCallback()
	f.nextCallback()
	f.waitIdle()
	st := f.requestStatus(h, DefaultAccount, requestID)
	if st.RequestID != requestID || st.Status != "Failed" || len(st.SubRequests) != 2 ||
		st.SubRequests[0].IDs.Get("eid") != eidA || st.SubRequests[0].Status != "Success" || st.SubRequests[1].Status != "Failed" {
		t.Fatalf("status = %+v", st)
	}

	requestID = f.action(h, thingspace.ActionDisable, profileRequest(eidA))
	f.nextCallback()
	f.waitIdle()
	if st := f.requestStatus(h, DefaultAccount, requestID); st.Status != "Success" {
		t.Fatalf("status = %+v, want Success", st)
	}

	e := f.do(http.MethodGet, thingspace.RequestStatusPath(TestAccount, requestID), h, nil).m2mError(t, http.StatusBadRequest)
	if e.ErrorCode != "DeviceService."+codeRequestNotFound {
		t.Fatalf("request of another account: %+v", e)
	}
	e = f.do(http.MethodGet, thingspace.RequestStatusPath("nope", requestID), h, nil).m2mError(t, http.StatusBadRequest)
	if e.ErrorCode != "DeviceService."+thingspace.CodeAccountNotFound {
		t.Fatalf("unknown account: %+v", e)
	}
}

// The spelling option reproduces the eUICC callback pages' PascalCase, and "alternate" changes
// the spelling between a send and its duplicate, which receivers must still recognise as one.
func TestCallbackSpellings(t *testing.T) {
	f := newFixture(t, Options{})
	f.sim.SetDevice(eidA, DeviceBehavior{Spelling: SpellingAlternate, Duplicates: 1})
	f.action(f.auth(), thingspace.ActionEnable, profileRequest(eidA))
	first, again := f.nextCallback(), f.nextCallback()
	for _, want := range []string{`"requestId"`, `"deviceIds"`, `"kind":"eid"`} {
		if !strings.Contains(string(first.raw), want) {
			t.Errorf("first send %s lacks the enable page's %s", first.raw, want)
		}
	}
	for _, want := range []string{`"RequestId"`, `"Device":[`, `"Kind":"EID"`, `"Identifier":"` + eidA + `"`, `"Username"`, `"Password"`, `"DeviceResponse"`} {
		if !strings.Contains(string(again.raw), want) {
			t.Errorf("duplicate %s lacks the eUICC pages' %s", again.raw, want)
		}
	}
	for _, raw := range [][]byte{first.raw, again.raw} {
		cb, err := thingspace.ParseCallback(raw)
		if err != nil || cb.Result().EID != eidA || cb.Outcome() != thingspace.OutcomeSuccess {
			t.Errorf("%s does not read as a success for %s: %+v %v", raw, eidA, cb, err)
		}
	}
	if err := (DeviceBehavior{Spelling: "snake"}).Validate(); err == nil || !strings.Contains(err.Error(), "pascal") {
		t.Errorf("Validate(spelling snake) = %v, want an error naming the spellings", err)
	}
}
