package simulator

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Request statuses of the v2 request-status answer, per device and overall.
const (
	requestPending = "Pending"
	requestSuccess = thingspace.CallbackStatusSuccess
	requestFailed  = thingspace.CallbackStatusFailed
)

// actionRequest is one accepted profile action.
type actionRequest struct {
	id      string
	action  thingspace.ProfileAction
	account string
	smsrOid string
	devices []*requestedDevice
}

// requestedDevice is one device of an accepted action and where it stands.
type requestedDevice struct {
	eid, iccid string
	status     string // requestPending until its final callback is first sent
}

// handleProfileAction accepts one of the five profile actions: it answers with a requestId at
// once and schedules the callbacks each device's behaviour calls for.
func (s *Simulator) handleProfileAction(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r) {
		return
	}
	var body thingspace.ProfileRequest
	if !readJSON(w, r, serviceDevice, &body) {
		return
	}
	s.annotate(r, func(rec *RecordedRequest) { rec.EIDs = requestedEIDs(body) })
	devices, err := validateProfileRequest(body)
	if err != nil {
		writeM2MError(w, http.StatusBadRequest, serviceDevice, thingspace.CodeIdentifierInvalid, err.Error())
		return
	}
	if len(devices) > s.opts.MaxDevicesPerRequest {
		writeM2MError(w, http.StatusBadRequest, serviceDevice, thingspace.CodeTooManyDevices,
			fmt.Sprintf("A request may name at most %d devices; this one names %d.", s.opts.MaxDevicesPerRequest, len(devices)))
		return
	}
	if !s.accountExists(w, body.AccountName) {
		return
	}
	req := &actionRequest{id: newUUID(), action: thingspace.ProfileAction(r.PathValue("action")),
		account: body.AccountName, smsrOid: body.SmsrOid, devices: devices}
	// Logged before any callback can be sent, so a test that has seen a callback also sees the
	// request as accepted.
	s.annotate(r, func(rec *RecordedRequest) { rec.RequestID = req.id })
	beforeResponse := s.accept(req)
	s.log.Info("profile action accepted", "action", req.action, "request_id", req.id, "devices", len(devices))
	for _, j := range beforeResponse {
		s.send(s.ctx, j)
	}
	writeJSON(w, http.StatusOK, thingspace.RequestIDResponse{RequestID: req.id})
}

func requestedEIDs(body thingspace.ProfileRequest) []string {
	var eids []string
	for _, d := range body.Devices {
		if eid := d.DeviceIDs.Get(thingspace.KindEID); eid != "" {
			eids = append(eids, eid)
		}
	}
	return eids
}

// validateProfileRequest checks a profile-action body the way ThingSpace does, and returns its
// devices. Unknown fields and identifier kinds are ignored.
func validateProfileRequest(body thingspace.ProfileRequest) ([]*requestedDevice, error) {
	switch {
	case body.Devices == nil:
		return nil, errors.New("devices is required: name each device by its eid and iccid")
	case len(body.Devices) == 0:
		return nil, errors.New("devices is empty: name at least one device")
	case body.AccountName == "":
		return nil, errors.New("accountName is required")
	case body.SmsrOid == "":
		return nil, errors.New("smsrOid is required")
	}
	devices := make([]*requestedDevice, 0, len(body.Devices))
	for i, d := range body.Devices {
		eid, iccid := d.DeviceIDs.Get(thingspace.KindEID), d.DeviceIDs.Get(thingspace.KindICCID)
		if err := errors.Join(checkIdentifier("eid", eid, thingspace.MaxEIDDigits),
			checkIdentifier("iccid", iccid, thingspace.MaxICCIDDigits)); err != nil {
			return nil, fmt.Errorf("devices[%d]: %w", i, err)
		}
		devices = append(devices, &requestedDevice{eid: eid, iccid: iccid, status: requestPending})
	}
	return devices, nil
}

func checkIdentifier(kind, id string, maxDigits int) error {
	switch {
	case id == "":
		return fmt.Errorf("no %s: each device needs both its eid and its iccid", kind)
	case strings.Trim(id, "0123456789") != "":
		return fmt.Errorf("%s %q is not all digits", kind, id)
	case len(id) > maxDigits:
		return fmt.Errorf("%s %q has %d digits; at most %d are allowed", kind, id, len(id), maxDigits)
	}
	return nil
}

// accept records an accepted request and schedules its callbacks; it returns the first sends
// of devices whose callbacks must arrive before the action's response.
func (s *Simulator) accept(req *actionRequest) (beforeResponse []*sendJob) {
	s.mu.Lock()
	now := time.Now()
	var later []*sendJob
	for _, rd := range req.devices {
		d := s.state.addDevice(rd.eid, rd.iccid, req.account, s.opts.Now())
		d.lastRequestID = req.id
		b := s.behavior(rd.eid)
		for _, m := range planCallbacks(req, rd, b, d) {
			j := &sendJob{due: now.Add(m.after), gen: s.gen, msg: m, count: 1}
			if b.BeforeResponse {
				beforeResponse = append(beforeResponse, j)
			} else {
				later = append(later, j)
			}
		}
	}
	s.state.requests[req.id] = req
	s.mu.Unlock()
	for _, j := range later {
		s.sched.add(j)
	}
	return beforeResponse
}

// planCallbacks turns a device's behaviour into the callbacks it will send. A success is turned
// into a failure when the device's profile cannot undergo the action.
func planCallbacks(req *actionRequest, rd *requestedDevice, b DeviceBehavior, d *device) []*callbackMessage {
	o := b.outcome()
	if o == OutcomeSilence {
		return nil
	}
	base := callbackMessage{req: req, device: rd, duplicates: b.Duplicates, spelling: b.Spelling}
	var plan []*callbackMessage
	if o.warns() {
		warning := base
		warning.status, warning.after = thingspace.CallbackStatusWarning, time.Duration(b.WarningDelay)
		plan = append(plan, &warning)
	}
	final := base
	final.after, final.final = time.Duration(b.Delay), true
	switch {
	case o.fails():
		final.status = thingspace.CallbackStatusFailed
		final.faultCode, final.faultString = failureOf(b)
	case needsDownloadedProfile(req.action) && !d.profileDownloaded():
		final.status = thingspace.CallbackStatusFailed
		final.faultCode = serviceDevice + "." + thingspace.CodeDeviceStateInvalid
		final.faultString = fmt.Sprintf("The device's profile is %s, so it cannot be the target of %s.", d.profileStatus, req.action)
	default:
		final.status = thingspace.CallbackStatusSuccess
	}
	return append(plan, &final)
}

func needsDownloadedProfile(a thingspace.ProfileAction) bool {
	return a != thingspace.ActionDownloadEnable && a != thingspace.ActionDownloadDisable
}

// failureOf returns the fault a failing device reports, with a service prefix as ThingSpace's
// codes have.
func failureOf(b DeviceBehavior) (code, message string) {
	code, message = b.FailureCode, b.FailureMessage
	if code == "" {
		code = thingspace.CodeUnexpectedError
	}
	if strings.HasPrefix(code, "REQUEST_FAILED.") || strings.HasPrefix(code, "INPUT_INVALID.") {
		code = serviceDevice + "." + code
	}
	if message == "" {
		message = "The SM-SR reported that the profile action failed on the device."
	}
	return code, message
}

// settleLocked records a device's final answer, when its final callback is first sent: the
// request status and, on success, the device's new profile status. Callers hold s.mu.
func (s *Simulator) settleLocked(m *callbackMessage) {
	m.device.status = m.status
	if d, ok := s.state.devices[m.device.eid]; ok && m.status == thingspace.CallbackStatusSuccess {
		d.profileStatus = strings.ToUpper(string(m.req.action))
	}
}

// handleRequestStatus answers the v2 request status from what the devices have reported so far.
func (s *Simulator) handleRequestStatus(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r) {
		return
	}
	account, id := r.PathValue("accountName"), r.PathValue("requestId")
	if !s.accountExists(w, account) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.state.requests[id]
	if !ok || req.account != account {
		writeM2MError(w, http.StatusBadRequest, serviceDevice, codeRequestNotFound, "No request "+id+" exists in account "+account+".")
		return
	}
	writeJSON(w, http.StatusOK, req.statusLocked())
}

// statusLocked summarises the request: Pending while a device has no final answer, then Failed
// if any device failed, else Success. Callers hold s.mu.
func (req *actionRequest) statusLocked() thingspace.RequestStatus {
	out := thingspace.RequestStatus{RequestID: req.id}
	pending, failed := false, false
	for _, d := range req.devices {
		out.SubRequests = append(out.SubRequests, thingspace.SubRequest{
			IDs:    thingspace.DeviceIDs{{Kind: thingspace.KindEID, ID: d.eid}, {Kind: thingspace.KindICCID, ID: d.iccid}},
			Status: d.status,
		})
		pending = pending || d.status == requestPending
		failed = failed || d.status == requestFailed
	}
	switch {
	case pending:
		out.Status = requestPending
	case failed:
		out.Status = requestFailed
	default:
		out.Status = requestSuccess
	}
	return out
}
