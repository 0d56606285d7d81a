package simulator

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Profile statuses the simulator reports (thingspace-api.md lists them). A device starts with its
// profile downloaded and disabled, so enable works at once, as for a freshly delivered device.
const (
	profileStatusInitial       = "DOWNLOAD_DISABLE"
	profileStatusNotDownloaded = "NOT_DOWNLOADED"
	profileStatusDeleted       = "DELETE"
)

// device is a device ThingSpace knows: named by an accepted request, or the source document's.
type device struct {
	seq           int64 // numeric device id, the device list's paging key
	eid, iccid    string
	account       string
	id            identity
	state         string // service state, one of thingspace.DeviceStates
	profileStatus string
	createdAt     time.Time
	lastRequestID string
}

// DeviceState is what the simulator knows about a device, for tests and the control endpoint.
type DeviceState struct {
	EID           string `json:"eid"`
	ICCID         string `json:"iccid"`
	IMEI          string `json:"imei"`
	MDN           string `json:"mdn"`
	IPAddress     string `json:"ipAddress"`
	ServicePlan   string `json:"servicePlan"`
	State         string `json:"state"`
	AccountName   string `json:"accountName,omitempty"`
	ProfileStatus string `json:"profileStatus"`
	// LastRequestID is the last accepted action that named the device.
	LastRequestID string `json:"lastRequestId,omitempty"`
	// Known is false for a device no accepted request has named yet; its data is still the
	// data it will have.
	Known    bool           `json:"known"`
	Behavior DeviceBehavior `json:"behavior"`
}

// SetDevice chooses how a device answers the actions accepted from now on. It panics on a
// behaviour that Validate refuses, since that is a mistake in the test itself.
func (s *Simulator) SetDevice(eid string, b DeviceBehavior) {
	if err := b.Validate(); err != nil {
		panic("simulator: SetDevice: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.behaviors[eid] = b
}

// Device returns the state of a device; see DeviceState.Known.
func (s *Simulator) Device(eid string) DeviceState {
	s.mu.Lock()
	defer s.mu.Unlock()
	behavior := s.behavior(eid)
	d, known := s.state.devices[eid]
	if !known {
		id := deriveIdentity(eid)
		return DeviceState{EID: eid, ICCID: id.ICCID, IMEI: id.IMEI, MDN: id.MDN, IPAddress: id.IPAddress,
			ServicePlan: id.ServicePlan, State: thingspace.DeviceStateActive, ProfileStatus: profileStatusInitial, Behavior: behavior}
	}
	return DeviceState{EID: eid, ICCID: d.iccid, IMEI: d.id.IMEI, MDN: d.id.MDN, IPAddress: d.id.IPAddress,
		ServicePlan: d.id.ServicePlan, State: d.state, AccountName: d.account, ProfileStatus: d.profileStatus,
		LastRequestID: d.lastRequestID, Known: true, Behavior: behavior}
}

// behavior returns the device's own behaviour or the default. Callers hold s.mu.
func (s *Simulator) behavior(eid string) DeviceBehavior {
	if b, ok := s.state.behaviors[eid]; ok {
		return b
	}
	return s.opts.DefaultBehavior
}

// addDevice returns the device, creating it in account when unknown. A request naming a known
// device updates its ICCID (a profile download may change it); its account stays.
func (st *state) addDevice(eid, iccid, account string, now time.Time) *device {
	if d, ok := st.devices[eid]; ok {
		if iccid != "" {
			d.iccid = iccid
		}
		return d
	}
	st.deviceSeq++
	d := &device{seq: st.deviceSeq, eid: eid, iccid: iccid, account: account, id: deriveIdentity(eid),
		state: thingspace.DeviceStateActive, profileStatus: profileStatusInitial, createdAt: now}
	if d.iccid == "" {
		d.iccid = d.id.ICCID
	}
	st.devices[eid] = d
	return d
}

// profileDownloaded reports whether the device holds a profile that enable, disable and
// delete can act on.
func (d *device) profileDownloaded() bool {
	return d.profileStatus != profileStatusNotDownloaded && d.profileStatus != profileStatusDeleted
}

// ids is the identifier collection of the example callback: imei, iccid, mdn, eid.
func (d *device) ids() thingspace.DeviceIDs {
	return thingspace.DeviceIDs{
		{Kind: thingspace.KindIMEI, ID: d.id.IMEI},
		{Kind: thingspace.KindICCID, ID: d.iccid},
		{Kind: thingspace.KindMDN, ID: d.id.MDN},
		{Kind: thingspace.KindEID, ID: d.eid},
	}
}

// handleDeviceList lists an account's devices (or the devices with one identifier) by ascending
// device id, at most DeviceListPageSize at a time, after largestDeviceIdSeen, optionally only
// those in one service state. As ThingSpace does, it answers 202 with hasMoreData while more
// pages remain and 200 with the last one.
func (s *Simulator) handleDeviceList(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r) {
		return
	}
	var req thingspace.DeviceListRequest
	if !readJSON(w, r, serviceDevice, &req) {
		return
	}
	if req.DeviceID == nil && req.AccountName == "" {
		writeM2MError(w, http.StatusBadRequest, serviceDevice, thingspace.CodeIdentifierInvalid,
			"Either accountName or deviceId is required.")
		return
	}
	if req.DeviceID != nil && (req.DeviceID.Kind == "" || req.DeviceID.ID == "") {
		writeM2MError(w, http.StatusBadRequest, serviceDevice, thingspace.CodeIdentifierInvalid,
			"deviceId needs both its kind and its id.")
		return
	}
	if req.CurrentState != "" && !slices.Contains(thingspace.DeviceStates(), req.CurrentState) {
		writeM2MError(w, http.StatusBadRequest, serviceDevice, thingspace.CodeDeviceStateInvalid,
			"currentState must be one of "+strings.Join(thingspace.DeviceStates(), ", ")+".")
		return
	}
	if req.AccountName != "" && !s.accountExists(w, req.AccountName) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	matched := s.state.matchingDevices(req)
	if req.DeviceID != nil && len(matched) == 0 {
		writeM2MError(w, http.StatusBadRequest, serviceDevice, thingspace.CodeDeviceNotFound, "No device has that identifier.")
		return
	}
	page := thingspace.DeviceListResponse{Devices: []thingspace.Device{}} // an empty page is [], not null
	for _, d := range matched {
		if len(page.Devices) == s.opts.DeviceListPageSize {
			page.HasMoreData = true
			break
		}
		page.Devices = append(page.Devices, d.listed())
	}
	status := http.StatusOK
	if page.HasMoreData {
		status = http.StatusAccepted
	}
	writeJSON(w, status, page)
}

// matchingDevices returns the devices a list request selects, by ascending device id.
func (st *state) matchingDevices(req thingspace.DeviceListRequest) []*device {
	var out []*device
	for _, d := range st.devices {
		if d.seq <= req.LargestDeviceIDSeen || (req.AccountName != "" && d.account != req.AccountName) ||
			(req.CurrentState != "" && d.state != req.CurrentState) {
			continue
		}
		if req.DeviceID != nil && !strings.EqualFold(d.ids().Get(req.DeviceID.Kind), req.DeviceID.ID) {
			continue
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *device) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// listed is the device as the device list shows it; its numeric id, the paging key, is an
// extended attribute, as in ThingSpace's answers. A device never activated (pre-active) has no
// activation date, and only an active device is connected.
func (d *device) listed() thingspace.Device {
	created := d.createdAt.UTC().Format(time.RFC3339)
	activated := created
	if d.state == thingspace.DeviceStatePreActive {
		activated = ""
	}
	return thingspace.Device{
		AccountName: d.account,
		DeviceIDs:   d.ids(),
		CarrierInformations: []thingspace.CarrierInformation{
			{CarrierName: "Verizon Wireless", ServicePlan: d.id.ServicePlan, State: d.state},
		},
		Connected:          d.state == thingspace.DeviceStateActive,
		IPAddress:          d.id.IPAddress,
		CreatedAt:          created,
		LastActivationDate: activated,
		ExtendedAttributes: []thingspace.ExtendedAttribute{
			{Key: thingspace.ExtendedAttributeDeviceID, Value: strconv.FormatInt(d.seq, 10)},
		},
	}
}
