package thingspace

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const sourceDocumentRequestID = "595f5c44-c31c-4552-8670-020a1545a84d"

// sourceDocumentCallback is the success callback of enable-local-profile.txt, as published.
func sourceDocumentCallback(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/enable-callback-success.json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseCallbackSourceDocument(t *testing.T) {
	data := sourceDocumentCallback(t)
	cb, err := ParseCallback(data)
	if err != nil {
		t.Fatalf("ParseCallback: %v", err)
	}
	if cb.RequestID != sourceDocumentRequestID || cb.Status != "Success" || cb.CallbackCount != 1 || cb.MaxCallbackThreshold != 4 {
		t.Errorf("parsed %+v: top-level fields wrong", cb)
	}
	if !bytes.Equal(cb.Raw, data) {
		t.Error("Raw is not the message as received")
	}
	if len(cb.Extra) != 0 {
		t.Errorf("Extra = %v, want nothing: every field of the example is documented", cb.Extra)
	}
	want := DeviceResult{
		EID: sourceDocumentEID, ICCID: sourceDocumentICCID, IMEI: "666456789014008", MDN: "2022326360",
		IPAddress: "101.0.1.216", State: "Active", ServicePlan: "RP4235311", ProfileStatus: "enable",
		EuiccStatus: "EXECUTED_SUCCESS", EuiccStatusCode: "1.2.365", EuiccStatusDesc: "EUICC device profile has been updated",
		Status: "Success", CredentialUsername: "2022326360@vzw4g.com", CredentialPassword: "2022326360",
	}
	if got := cb.Result(); got != want {
		t.Errorf("Result() =\n%+v\nwant\n%+v", got, want)
	}
	// The request named the device by EID and ICCID; the callback's top-level list names it by
	// IMEI and EID. It must still be found, and not by position.
	requested := []RequestedDevice{{EID: "89049032000001000000000000000074", ICCID: "8914800000084078423"},
		{EID: sourceDocumentEID, ICCID: sourceDocumentICCID}}
	if a := cb.Answer(requested); a != (Answer{Device: 1, Outcome: OutcomeSuccess}) {
		t.Errorf("Answer = %+v, want device 1, success", a)
	}
}

func TestParseCallbackIsLenient(t *testing.T) {
	data := []byte(`{"REQUESTID":"r-1","Status":"warning","callbackCount":"2","deviceIds":[{"kind":"EID","id":"1"}],
		"futureField":{"a":1},"deviceResponse":"not an object"}`)
	cb, err := ParseCallback(data)
	if err != nil {
		t.Fatalf("ParseCallback: %v", err)
	}
	if cb.RequestID != "r-1" || cb.Status != "warning" || cb.DeviceIDs.Get(KindEID) != "1" {
		t.Errorf("parsed %+v: case-insensitive field names not honoured", cb)
	}
	for _, key := range []string{"futureField", "callbackCount", "deviceResponse"} {
		if _, ok := cb.Extra[key]; !ok {
			t.Errorf("Extra lacks %q (unknown, or not of the documented type): %v", key, cb.Extra)
		}
	}
	if cb.CallbackCount != 0 || cb.DeviceResponse != nil {
		t.Error("fields that failed to decode must stay at their zero value")
	}
	if cb.Outcome() != OutcomePending {
		t.Errorf("a warning is %v, want pending", cb.Outcome())
	}
}

func TestParseCallbackRefusesNonObjects(t *testing.T) {
	for _, data := range []string{``, `null`, `[]`, `"x"`, `{`, `12`} {
		if _, err := ParseCallback([]byte(data)); err == nil {
			t.Errorf("ParseCallback(%q) succeeded, want an error", data)
		}
	}
}

func TestCallbackOutcome(t *testing.T) {
	cases := map[string]Outcome{
		"Success": OutcomeSuccess, "SUCCESS": OutcomeSuccess, " success ": OutcomeSuccess,
		"Failed": OutcomeFailure, "failed": OutcomeFailure, "Failure": OutcomeFailure, "FAILURE": OutcomeFailure,
		"Warning": OutcomePending, "": OutcomePending, "InProgress": OutcomePending, "Pending": OutcomePending,
	}
	for status, want := range cases {
		if got := (&Callback{Status: status}).Outcome(); got != want {
			t.Errorf("status %q: outcome %v, want %v", status, got, want)
		}
	}
	if OutcomePending.String() != "pending" || OutcomeSuccess.String() != "success" || OutcomeFailure.String() != "failure" {
		t.Error("Outcome.String() does not name the outcomes")
	}
}

func TestCallbackAnswerMatching(t *testing.T) {
	requested := []RequestedDevice{{EID: "111", ICCID: "891"}, {EID: "222", ICCID: "892"}}
	cases := []struct {
		name string
		cb   Callback
		want int
	}{
		{"eid in top-level ids", Callback{DeviceIDs: DeviceIDs{{Kind: "eid", ID: "222"}}}, 1},
		{"eid kind upper case", Callback{DeviceIDs: DeviceIDs{{Kind: "EID", ID: "111"}}}, 0},
		{"eid only in the collection", Callback{DeviceResponse: &DeviceResponse{DeviceProfileResponse: &DeviceProfileResponse{
			DeviceIdentifierCollection: DeviceIDs{{Kind: "Eid", ID: "222"}}}}}, 1},
		{"iccid fallback", Callback{DeviceIDs: DeviceIDs{{Kind: "ICCID", ID: "892"}}}, 1},
		{"eid wins over a clashing iccid", Callback{DeviceIDs: DeviceIDs{{Kind: "iccid", ID: "891"}, {Kind: "eid", ID: "222"}}}, 1},
		{"unknown eid is not matched by iccid", Callback{DeviceIDs: DeviceIDs{{Kind: "eid", ID: "999"}, {Kind: "iccid", ID: "891"}}}, -1},
		{"unknown device", Callback{DeviceIDs: DeviceIDs{{Kind: "imei", ID: "111"}}}, -1},
		{"no ids", Callback{}, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cb.Answer(requested).Device; got != tc.want {
				t.Errorf("Answer().Device = %d, want %d", got, tc.want)
			}
		})
	}
	iccidOnly := []RequestedDevice{{ICCID: "891"}}
	cb := Callback{DeviceIDs: DeviceIDs{{Kind: "eid", ID: "111"}, {Kind: "iccid", ID: "891"}}}
	if got := cb.Answer(iccidOnly).Device; got != 0 {
		t.Errorf("a device requested by ICCID only: Answer().Device = %d, want 0", got)
	}
}

func TestFailureCallbackResult(t *testing.T) {
	cb, err := ParseCallback([]byte(`{"requestId":"r","deviceIds":[{"kind":"iccid","id":"891"}],"status":"Failed",
		"faultResponse":{"faultcode":"DeviceProfileService.REQUEST_FAILED.DeviceNotFound","faultstring":"Device not found"}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := cb.Result()
	if got.FaultCode != "DeviceProfileService.REQUEST_FAILED.DeviceNotFound" || got.FaultString != "Device not found" ||
		got.ICCID != "891" || got.Status != "Failed" || got.EID != "" {
		t.Errorf("Result() = %+v", got)
	}
}

// The eUICC callback pages' PascalCase and aliases (`Device`, `Kind`, `Identifier`) read as the
// enable page's camelCase does.
func TestParseCallbackReadsEverySpelling(t *testing.T) {
	cb, err := ParseCallback([]byte(`{"RequestId":"req-1","Username":"u","Password":"p","Status":"Success",` +
		`"Device":[{"Kind":"IMEI","Identifier":"666456789014008"},{"Kind":"EID","Identifier":"89049032000001000000000000000074"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if cb.RequestID != "req-1" || cb.Username != "u" || cb.Password != "p" || len(cb.Extra) != 0 {
		t.Fatalf("parsed %+v, want every field read", cb)
	}
	got := cb.Answer([]RequestedDevice{{EID: "89049032000001000000000000000074"}})
	if got != (Answer{Device: 0, Outcome: OutcomeSuccess}) {
		t.Errorf("Answer = %+v, want device 0 succeeded", got)
	}
	if r := cb.Result(); r.IMEI != "666456789014008" {
		t.Errorf("Result().IMEI = %q, want the Identifier of kind IMEI", r.IMEI)
	}
}

func TestTakeEnvelope(t *testing.T) {
	for name, tc := range map[string]struct {
		body, wantErr string
		want          Envelope
	}{
		"camel":  {body: `{"requestId":"r","username":"u","password":"p","status":"x"}`, want: Envelope{RequestID: "r", HasRequestID: true, Username: "u", Password: "p"}},
		"pascal": {body: `{"RequestId":"r","Username":"u","PASSWORD":"p"}`, want: Envelope{RequestID: "r", HasRequestID: true, Username: "u", Password: "p"}},
		"same value twice": {body: `{"requestId":"r","RequestId":"r","password":"p","Password":"p"}`,
			want: Envelope{RequestID: "r", HasRequestID: true, Password: "p"}},
		"no requestId":        {body: `{"requestId":5,"status":"x"}`, want: Envelope{}},
		"conflicting ids":     {body: `{"requestId":"r1","RequestId":"r2"}`, wantErr: "requestid twice"},
		"conflicting secrets": {body: `{"password":"a","Password":"b"}`, wantErr: "password twice"},
	} {
		t.Run(name, func(t *testing.T) {
			var fields map[string]json.RawMessage
			if err := json.Unmarshal([]byte(tc.body), &fields); err != nil {
				t.Fatal(err)
			}
			env, err := TakeEnvelope(fields)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), `"b"`) {
					t.Fatalf("TakeEnvelope = %+v, %v; want an error saying %q without the values", env, err, tc.wantErr)
				}
				return
			}
			if err != nil || env != tc.want {
				t.Fatalf("TakeEnvelope = %+v, %v; want %+v", env, err, tc.want)
			}
			for key := range fields {
				if l := strings.ToLower(key); l == "username" || l == "password" {
					t.Errorf("%q left in the fields", key)
				}
			}
		})
	}
}

func TestDeliveryKeyIgnoresSpellingAndCount(t *testing.T) {
	key := func(body string) [32]byte {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &fields); err != nil {
			t.Fatal(err)
		}
		return DeliveryKey(fields)
	}
	a := key(`{"requestId":"r","deviceIds":[{"kind":"eid","id":"1"}],"status":"Success","callbackCount":1}`)
	b := key(`{"RequestId":"r","Device":[{"Kind":"EID","Identifier":"1"}],"Status":"Success","CallbackCount":3}`)
	c := key(`{"requestId":"r","deviceIds":[{"kind":"eid","id":"2"}],"status":"Success","callbackCount":1}`)
	if a != b {
		t.Error("a redelivery in another spelling has another key")
	}
	if a == c {
		t.Error("callbacks about different devices share a key")
	}
}
