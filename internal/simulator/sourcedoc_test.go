package simulator

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// sourceDocument returns the raw JSON that follows a heading of enable-local-profile.txt, the
// documentation page the simulator must reproduce (a verbatim copy lives in testdata).
func sourceDocument(t *testing.T, heading string) []byte {
	t.Helper()
	doc, err := os.ReadFile("testdata/enable-local-profile.txt")
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(doc, []byte(heading))
	if at < 0 {
		t.Fatalf("heading %q not found in the source document", heading)
	}
	rest := doc[at:]
	rest = rest[bytes.IndexByte(rest, '{'):]
	var raw json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(rest)).Decode(&raw); err != nil {
		t.Fatalf("JSON after %q does not parse: %v", heading, err)
	}
	return raw
}

// keyStructure describes the keys of a JSON value recursively ("deviceResponse.deviceProfileResponse.state"),
// with array elements merged under "[]", so two messages can be compared by shape.
func keyStructure(v any, prefix string, into map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			into[prefix+k] = true
			keyStructure(child, prefix+k+".", into)
		}
	case []any:
		for _, child := range x {
			keyStructure(child, prefix+"[].", into)
		}
	}
}

func keysOf(t *testing.T, data []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	keyStructure(v, "", set)
	return slices.Sorted(func(yield func(string) bool) {
		for k := range set {
			if !yield(k) {
				return
			}
		}
	})
}

// TestSourceDocumentExchange replays the documented enable: the request body verbatim is
// accepted with a requestId, and the callback has exactly the example's key structure and,
// for the document's device, exactly its values.
func TestSourceDocumentExchange(t *testing.T) {
	f := newFixture(t, Options{})
	// The example callback echoes empty listener credentials; register the same to compare it whole.
	f.sim.RegisterListener(SourceDocumentAccount, thingspace.CallbackListener{
		Name: thingspace.ServiceDeviceProfile, URL: f.listenerURL,
	})
	requestID := f.action(f.auth(), thingspace.ActionEnable, sourceDocument(t, "Example Request Body"))

	got := f.nextCallback()
	example := sourceDocument(t, "Example Success Callback Response")
	if g, w := keysOf(t, got.raw), keysOf(t, example); !slices.Equal(g, w) {
		t.Errorf("callback key structure differs from the example\n got: %v\nwant: %v", g, w)
	}
	var want map[string]any
	if err := json.Unmarshal(example, &want); err != nil {
		t.Fatal(err)
	}
	want["requestId"] = requestID
	if !reflect.DeepEqual(got.body, want) {
		t.Errorf("callback differs from the example (requestId aside)\n got: %s\nwant: %s", got.raw, mustJSON(t, want))
	}
	if st := f.sim.Device(sourceDocumentEID); st.ProfileStatus != "ENABLE" || st.LastRequestID != requestID {
		t.Errorf("device state after enable = %+v, want profile ENABLE and last request %s", st, requestID)
	}
}

// TestCallbackKeyStructureWithCredentials checks the shape for any device, with the listener's
// credentials echoed as ThingSpace does.
func TestCallbackKeyStructureWithCredentials(t *testing.T) {
	f := newFixture(t, Options{})
	requestID := f.action(f.auth(), thingspace.ActionEnable, profileRequest(eidA))
	got := f.nextCallback()
	if g, w := keysOf(t, got.raw), keysOf(t, sourceDocument(t, "Example Success Callback Response")); !slices.Equal(g, w) {
		t.Errorf("callback key structure differs from the example\n got: %v\nwant: %v", g, w)
	}
	cb := got.cb
	if cb.RequestID != requestID || cb.Username != listenerUser || cb.Password != listenerPassword {
		t.Errorf("callback requestId/credentials = %q/%q/%q, want %q and the registered credentials", cb.RequestID, cb.Username, cb.Password, requestID)
	}
	if cb.Status != thingspace.CallbackStatusSuccess || cb.CallbackCount != 1 || cb.MaxCallbackThreshold != thingspace.DefaultMaxCallbackThreshold {
		t.Errorf("status/count/threshold = %q/%d/%d", cb.Status, cb.CallbackCount, cb.MaxCallbackThreshold)
	}
	id := deriveIdentity(eidA)
	p := cb.DeviceResponse.DeviceProfileResponse
	if p.DeviceIdentifierCollection.Get(thingspace.KindIMEI) != id.IMEI || p.DeviceIdentifierCollection.Get(thingspace.KindICCID) != id.ICCID ||
		p.IPAddress != id.IPAddress || p.ProfileStatus != "enable" || p.EuiccStatus != "EXECUTED_SUCCESS" {
		t.Errorf("profile response does not carry the device's data: %s", got.raw)
	}
	if cb.DeviceIDs.Get(thingspace.KindEID) != eidA || cb.DeviceIDs.Get(thingspace.KindIMEI) != id.IMEI {
		t.Errorf("top-level deviceIds = %v, want the IMEI and the EID", cb.DeviceIDs)
	}
}

func TestDerivedIdentityIsStableAndPlausible(t *testing.T) {
	a, again, b := deriveIdentity(eidA), deriveIdentity(eidA), deriveIdentity(eidB)
	if a != again {
		t.Fatal("identity is not deterministic")
	}
	if a == b {
		t.Fatal("two EIDs got the same identity")
	}
	if len(a.IMEI) != 15 || !luhnValid(a.IMEI) {
		t.Errorf("IMEI %q is not 15 digits with a Luhn check digit", a.IMEI)
	}
	if len(a.ICCID) != 20 || !strings.HasPrefix(a.ICCID, "89") || !luhnValid(a.ICCID) {
		t.Errorf("ICCID %q is not a 20-digit 89... ICCID with a Luhn check digit", a.ICCID)
	}
	if len(a.MDN) != 10 || a.MDN[0] < '2' {
		t.Errorf("MDN %q is not a 10-digit North American number", a.MDN)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// luhnValid checks a Luhn check digit independently of withLuhnDigit: doubling every second
// digit from the right, the check digit included in the sum.
func luhnValid(s string) bool {
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
