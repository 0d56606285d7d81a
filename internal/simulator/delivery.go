package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// What the SM-SR reports about a profile change that worked, as in the documented example.
const (
	euiccExecutedSuccess         = "EXECUTED_SUCCESS"
	euiccStatusCodeUpdated       = "1.2.365"
	euiccStatusDescUpdated       = "EUICC device profile has been updated"
	euiccSubAddressStatusCode    = "1"
	euiccSubAddressStatusDesc    = "SUCCESS: Address has been updated"
	deviceStateActive            = "Active"
	maxListenerAnswerBytesToRead = 64 << 10
)

// callbackMessage is one callback a device sends about one request.
type callbackMessage struct {
	req                    *actionRequest
	device                 *requestedDevice
	status                 string // thingspace.CallbackStatus*
	faultCode, faultString string
	after                  time.Duration // from acceptance
	final                  bool
	duplicates             int
	spelling               Spelling
}

// sendJob is one send of a callback message.
type sendJob struct {
	due       time.Time
	gen       uint64 // Simulator.gen when scheduled; a Reset since then cancels the job
	msg       *callbackMessage
	count     int // the callbackCount this send carries
	duplicate bool
	seq       uint64 // set by the scheduler
}

// send delivers one callback and decides what follows: redelivery with a growing callbackCount
// while the listener does not answer 2xx (up to MaxCallbackThreshold sends), or the extra
// copies DeviceBehavior.Duplicates asks for once it did.
func (s *Simulator) send(ctx context.Context, j *sendJob) {
	body, url, ok := s.prepare(j)
	if !ok {
		return
	}
	status, err := s.post(ctx, url, body)
	d := Delivery{At: s.opts.Now(), RequestID: j.msg.req.id, EID: j.msg.device.eid, Status: j.msg.status,
		CallbackCount: j.count, Duplicate: j.duplicate, ListenerStatus: status}
	if err != nil {
		d.Err = err.Error()
	}
	s.recordDelivery(d)
	s.log.Debug("callback sent", "request_id", d.RequestID, "eid", d.EID, "status", d.Status,
		"callback_count", d.CallbackCount, "listener_status", status, "error", d.Err)
	acked := err == nil && status >= 200 && status < 300
	switch {
	case j.duplicate:
	case acked:
		for range j.msg.duplicates {
			s.sched.add(&sendJob{due: time.Now(), gen: j.gen, msg: j.msg, count: j.count, duplicate: true})
		}
	case j.count < s.opts.MaxCallbackThreshold:
		s.sched.add(&sendJob{due: time.Now().Add(s.opts.CallbackRetryInterval), gen: j.gen, msg: j.msg, count: j.count + 1})
	default:
		s.log.Warn("callback abandoned after the most sends allowed", "request_id", d.RequestID, "eid", d.EID,
			"sends", j.count)
	}
}

// prepare builds the callback body for the listener registered now, settling the device on the
// first send of its final callback. It reports false for a job cancelled by Reset.
func (s *Simulator) prepare(j *sendJob) (body []byte, url string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j.gen != s.gen {
		return nil, "", false
	}
	if j.msg.final && j.count == 1 && !j.duplicate {
		s.settleLocked(j.msg)
	}
	l, _ := s.state.listener(j.msg.req.account, thingspace.ServiceDeviceProfile)
	d := s.state.devices[j.msg.device.eid]
	body, err := json.Marshal(s.callback(j, d, l))
	if err == nil && j.msg.pascalCase(j) {
		body, err = pascalCase(body)
	}
	if err != nil {
		s.log.Error("cannot encode a callback", "error", err)
		return nil, "", false
	}
	return body, l.URL, true
}

// pascalCase reports whether this send spells its fields as the eUICC callback pages do.
// Alternating sends flip with every delivery, so a redelivery or duplicate changes spelling.
func (m *callbackMessage) pascalCase(j *sendJob) bool {
	switch m.spelling {
	case SpellingPascal:
		return true
	case SpellingAlternate:
		n := j.count
		if j.duplicate {
			n++
		}
		return n%2 == 0
	}
	return false
}

// pascalCase respells a camelCase callback's top-level field names in PascalCase, and its
// device list as `Device: [{Kind, Identifier}]`, as ThingSpace's eUICC callback pages show.
func pascalCase(body []byte) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(fields))
	for name, raw := range fields {
		if name == "deviceIds" {
			var ids thingspace.DeviceIDs
			if err := json.Unmarshal(raw, &ids); err != nil {
				return nil, err
			}
			device := make([]map[string]string, 0, len(ids))
			for _, id := range ids {
				device = append(device, map[string]string{"Kind": strings.ToUpper(id.Kind), "Identifier": id.ID})
			}
			out["Device"] = device
			continue
		}
		out[strings.ToUpper(name[:1])+name[1:]] = raw
	}
	return json.Marshal(out)
}

// callback builds the message ThingSpace sends, shaped like the documented success example.
func (s *Simulator) callback(j *sendJob, d *device, l thingspace.CallbackListener) thingspace.Callback {
	m := j.msg
	cb := thingspace.Callback{
		Username:             l.Username,
		Password:             l.Password,
		RequestID:            m.req.id,
		DeviceIDs:            thingspace.DeviceIDs{{Kind: thingspace.KindIMEI, ID: d.id.IMEI}, {Kind: thingspace.KindEID, ID: d.eid}},
		Status:               m.status,
		CallbackCount:        j.count,
		MaxCallbackThreshold: s.opts.MaxCallbackThreshold,
	}
	switch m.status {
	case thingspace.CallbackStatusSuccess:
		cb.DeviceResponse = &thingspace.DeviceResponse{DeviceProfileResponse: profileResponse(m, d)}
	case thingspace.CallbackStatusFailed:
		cb.FaultResponse = &thingspace.FaultResponse{FaultCode: m.faultCode, FaultString: m.faultString}
	}
	return cb
}

func profileResponse(m *callbackMessage, d *device) *thingspace.DeviceProfileResponse {
	user, password := d.id.credential()
	return &thingspace.DeviceProfileResponse{
		DeviceIdentifierCollection:      d.ids(),
		IPAddress:                       d.id.IPAddress,
		State:                           deviceStateActive,
		ServicePlan:                     d.id.ServicePlan,
		DeviceCredential:                &thingspace.DeviceCredential{Username: user, Password: password},
		SmsrOid:                         m.req.smsrOid,
		ProfileStatus:                   string(m.req.action),
		EuiccStatus:                     euiccExecutedSuccess,
		EuiccStatusCode:                 euiccStatusCodeUpdated,
		EuiccStatusDesc:                 euiccStatusDescUpdated,
		EuiccSubAddressUpdateStatus:     euiccExecutedSuccess,
		EuiccSubAddressUpdateStatusCode: euiccSubAddressStatusCode,
		EuiccSubAddressUpdateStatusDesc: euiccSubAddressStatusDesc,
	}
}

// post sends a callback body and returns the listener's status.
func (s *Simulator) post(ctx context.Context, url string, body []byte) (int, error) {
	if url == "" {
		return 0, fmt.Errorf("no %s listener is registered for the account", thingspace.ServiceDeviceProfile)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("the listener URL cannot be used: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	// Reading the answer lets the connection be reused for the next callback.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxListenerAnswerBytesToRead))
	return resp.StatusCode, nil
}
