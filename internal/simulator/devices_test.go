package simulator

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// listDevices asks for one page, which must be answered as ThingSpace documents it: 202 while
// more pages remain, 200 with the last.
func (f *fixture) listDevices(h http.Header, req thingspace.DeviceListRequest) thingspace.DeviceListResponse {
	f.t.Helper()
	resp := f.do(http.MethodPost, thingspace.PathDeviceList, h, req)
	var page thingspace.DeviceListResponse
	resp.json(f.t, &page)
	if want := map[bool]int{true: http.StatusAccepted, false: http.StatusOK}[page.HasMoreData]; resp.status != want {
		f.t.Fatalf("page with hasMoreData %t answered %d, want %d", page.HasMoreData, resp.status, want)
	}
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

func TestFleetIsListedByStateAndPage(t *testing.T) {
	f := newFixture(t, Options{DeviceListPageSize: 4, Fleets: []Fleet{
		{Count: 6},
		{Count: 3, State: thingspace.DeviceStatePreActive},
		{Count: 2, State: thingspace.DeviceStateSuspend, Account: TestAccount},
	}})
	h := f.auth()
	list := func(state string) (all []thingspace.Device, pages int) {
		var largest int64
		for {
			page := f.listDevices(h, thingspace.DeviceListRequest{AccountName: DefaultAccount, CurrentState: state, LargestDeviceIDSeen: largest})
			pages++
			all = append(all, page.Devices...)
			if !page.HasMoreData {
				return all, pages
			}
			largest, _ = page.Devices[len(page.Devices)-1].NumericID()
		}
	}
	all, pages := list("")
	if len(all) != 9 || pages != 3 {
		t.Fatalf("listed %d devices in %d pages, want 9 in 3", len(all), pages)
	}
	seen := map[string]bool{}
	for i, d := range all {
		s := d.Summary()
		if s.EID != FleetEID(i) || !thingspace.EIDChecksumOK(s.EID) || !thingspace.ICCIDLuhnOK(s.ICCID) || !thingspace.ICCIDLuhnOK(s.IMEI) {
			t.Errorf("device %d = %+v: want EID %s, valid check digits", i, s, FleetEID(i))
		}
		for _, id := range []string{s.EID, s.ICCID, s.IMEI, s.MDN} {
			if seen[id] {
				t.Errorf("identifier %s listed twice", id)
			}
			seen[id] = true
		}
	}
	active, _ := list(thingspace.DeviceStateActive)
	preActive, _ := list(thingspace.DeviceStatePreActive)
	if len(active) != 6 || len(preActive) != 3 {
		t.Fatalf("listed %d active and %d pre-active devices, want 6 and 3", len(active), len(preActive))
	}
	if s := preActive[0].Summary(); s.State != thingspace.DeviceStatePreActive || s.Connected || s.LastActivationDate != "" {
		t.Errorf("pre-active device = %+v: want not connected, never activated", s)
	}
	if s := active[0].Summary(); s.State != thingspace.DeviceStateActive || !s.Connected || s.LastActivationDate == "" {
		t.Errorf("active device = %+v: want connected, activated", s)
	}
	if suspended := f.listDevices(h, thingspace.DeviceListRequest{AccountName: TestAccount}); len(suspended.Devices) != 2 {
		t.Errorf("listed %d devices in %s, want the 2 suspended ones", len(suspended.Devices), TestAccount)
	}
	if e := f.do(http.MethodPost, thingspace.PathDeviceList, h, thingspace.DeviceListRequest{AccountName: DefaultAccount, CurrentState: "asleep"}).
		m2mError(t, http.StatusBadRequest); e.ErrorCode != "DeviceService."+thingspace.CodeDeviceStateInvalid {
		t.Errorf("unknown state answered %+v", e)
	}
}

func TestFleetEIDsPassTheGSMACheck(t *testing.T) {
	for _, i := range []int{0, 1, 96, 97, 9999, maxFleetDevices - 1} {
		if eid := FleetEID(i); len(eid) != 32 || !thingspace.EIDChecksumOK(eid) {
			t.Errorf("FleetEID(%d) = %s fails the GSMA check", i, eid)
		}
	}
}
