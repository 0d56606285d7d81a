package simulator

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

func (f *fixture) listDevices(h http.Header, req thingspace.DeviceListRequest) thingspace.DeviceListResponse {
	f.t.Helper()
	var page thingspace.DeviceListResponse
	f.okJSON(http.MethodPost, thingspace.PathDeviceList, h, req, &page)
	return page
}

func TestDeviceListPaging(t *testing.T) {
	f := newFixture(t, Options{DeviceListPageSize: 2})
	h := f.auth()
	var eids []string
	for i := range 5 {
		eids = append(eids, fmt.Sprintf("8904903200000100000000000000%04d", i))
	}
	f.action(h, thingspace.ActionEnable, profileRequest(eids...))

	var seen []string
	var largest int64
	for pages := 1; ; pages++ {
		page := f.listDevices(h, thingspace.DeviceListRequest{AccountName: DefaultAccount, LargestDeviceIDSeen: largest})
		if len(page.Devices) > 2 {
			t.Fatalf("page of %d devices, limit 2", len(page.Devices))
		}
		for _, d := range page.Devices {
			n, ok := d.NumericID()
			if !ok || n <= largest {
				t.Fatalf("device id %d (present %t) not above %d", n, ok, largest)
			}
			largest = n
			if d.AccountName != DefaultAccount || len(d.CarrierInformations) != 1 || d.IPAddress == "" || !d.Connected {
				t.Errorf("incomplete device %+v", d)
			}
			seen = append(seen, d.DeviceIDs.Get(thingspace.KindEID))
		}
		if !page.HasMoreData {
			if pages != 3 {
				t.Fatalf("%d pages, want 3", pages)
			}
			break
		}
	}
	if fmt.Sprint(seen) != fmt.Sprint(eids) {
		t.Fatalf("listed %v, want %v", seen, eids)
	}
}

func TestDeviceListByIdentifier(t *testing.T) {
	f := newFixture(t, Options{})
	h := f.auth()
	page := f.listDevices(h, thingspace.DeviceListRequest{DeviceID: &thingspace.DeviceID{Kind: "ICCID", ID: sourceDocumentICCID}})
	if len(page.Devices) != 1 || page.Devices[0].DeviceIDs.Get("imei") != "666456789014008" || page.Devices[0].AccountName != SourceDocumentAccount {
		t.Fatalf("source document device = %+v", page)
	}
	for _, c := range []struct {
		req  thingspace.DeviceListRequest
		code string
	}{
		{thingspace.DeviceListRequest{}, thingspace.CodeIdentifierInvalid},
		{thingspace.DeviceListRequest{DeviceID: &thingspace.DeviceID{Kind: "eid"}}, thingspace.CodeIdentifierInvalid},
		{thingspace.DeviceListRequest{DeviceID: &thingspace.DeviceID{Kind: "eid", ID: eidC}}, thingspace.CodeDeviceNotFound},
		{thingspace.DeviceListRequest{AccountName: "nope"}, thingspace.CodeAccountNotFound},
	} {
		if e := f.do(http.MethodPost, thingspace.PathDeviceList, h, c.req).m2mError(t, http.StatusBadRequest); e.ErrorCode != "DeviceService."+c.code {
			t.Errorf("%+v answered %+v, want %s", c.req, e, c.code)
		}
	}
	if page := f.listDevices(h, thingspace.DeviceListRequest{AccountName: TestAccount}); len(page.Devices) != 0 || page.HasMoreData {
		t.Fatalf("empty account listed %+v", page)
	}
}

func TestDeviceState(t *testing.T) {
	f := newFixture(t, Options{})
	b := DeviceBehavior{Outcome: OutcomeWarningThenSuccess, Delay: Duration(3)}
	f.sim.SetDevice(eidC, b)
	before := f.sim.Device(eidC)
	if before.Known || before.Behavior != b || before.ProfileStatus != profileStatusInitial || before.IMEI != deriveIdentity(eidC).IMEI {
		t.Fatalf("unknown device state = %+v", before)
	}
	f.sim.SetDevice(eidC, DeviceBehavior{})
	requestID := f.action(f.auth(), thingspace.ActionDisable, profileRequest(eidC))
	f.nextCallback()
	f.waitIdle()
	after := f.sim.Device(eidC)
	if !after.Known || after.AccountName != DefaultAccount || after.LastRequestID != requestID || after.ProfileStatus != "DISABLE" {
		t.Fatalf("device state = %+v", after)
	}
}

func TestSetDeviceRefusesNonsense(t *testing.T) {
	sim := New(Options{})
	t.Cleanup(func() { _ = sim.Close() })
	for _, b := range []DeviceBehavior{{Outcome: "explode"}, {Delay: -1}, {Duplicates: -1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SetDevice(%+v) did not panic", b)
				}
			}()
			sim.SetDevice(eidA, b)
		}()
	}
}
