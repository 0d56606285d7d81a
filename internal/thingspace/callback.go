package thingspace

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Callback is one DeviceProfileService callback message, as ThingSpace POSTs it to the
// registered listener. The shapes of warning and failure messages are not published, so parsing
// is lenient: unknown fields are kept in Extra, and Raw keeps the message as received.
type Callback struct {
	RequestID            string          `json:"requestId"`
	DeviceIDs            DeviceIDs       `json:"deviceIds,omitempty"`
	DeviceResponse       *DeviceResponse `json:"deviceResponse,omitempty"`
	FaultResponse        *FaultResponse  `json:"faultResponse,omitempty"`
	Status               string          `json:"status"`
	CallbackCount        int             `json:"callbackCount,omitempty"`
	MaxCallbackThreshold int             `json:"maxCallbackThreshold,omitempty"`

	// Username and Password are the listener credentials ThingSpace echoes in plain text. They
	// are secrets: never log them, never store them past authentication.
	Username string `json:"username"`
	Password string `json:"password"`

	// Extra holds top-level fields this type does not name.
	Extra map[string]json.RawMessage `json:"-"`
	// Raw is the message exactly as received.
	Raw json.RawMessage `json:"-"`
}

// DeviceResponse wraps the device's profile state in a success callback.
type DeviceResponse struct {
	DeviceProfileResponse *DeviceProfileResponse `json:"deviceProfileResponse,omitempty"`
}

// DeviceProfileResponse is what the SM-SR reported about the device after the action.
type DeviceProfileResponse struct {
	DeviceIdentifierCollection      DeviceIDs         `json:"deviceIdentifierCollection,omitempty"`
	IPAddress                       string            `json:"ipAddress,omitempty"`
	State                           string            `json:"state,omitempty"`
	ServicePlan                     string            `json:"servicePlan,omitempty"`
	DeviceCredential                *DeviceCredential `json:"deviceCredential,omitempty"`
	SmsrOid                         string            `json:"smsrOid,omitempty"`
	ProfileStatus                   string            `json:"profileStatus,omitempty"`
	EuiccStatus                     string            `json:"euiccStatus,omitempty"`
	EuiccStatusCode                 string            `json:"euiccStatusCode,omitempty"`
	EuiccStatusDesc                 string            `json:"euiccStatusDesc,omitempty"`
	EuiccSubAddressUpdateStatus     string            `json:"euiccSubAddressUpdateStatus,omitempty"`
	EuiccSubAddressUpdateStatusCode string            `json:"euiccSubAddressUpdateStatusCode,omitempty"`
	EuiccSubAddressUpdateStatusDesc string            `json:"euiccSubAddressUpdateStatusDesc,omitempty"`
}

// DeviceCredential is the device's own network credential (a secret).
type DeviceCredential struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// FaultResponse is what a failure callback carries instead of a DeviceResponse.
type FaultResponse struct {
	FaultCode   string `json:"faultcode"`
	FaultString string `json:"faultstring"`
}

// ParseCallback decodes a callback leniently, since ThingSpace does not publish the shapes of
// warning and failure messages and spells the same fields differently on different pages: any
// JSON object is accepted, field names are matched in any letter case (and ThingSpace's aliases
// such as `Device` for `deviceIds` are read as the same field), a field whose value does not
// have the documented type is kept in Extra instead of failing the whole message, and Raw keeps
// the message exactly as received.
func ParseCallback(data []byte) (*Callback, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("a callback must be a JSON object: %w", err)
	}
	if fields == nil {
		return nil, errors.New("a callback must be a JSON object, not null")
	}
	cb := &Callback{Raw: append(json.RawMessage(nil), data...)}
	known := cb.knownFields()
	for name, value := range fields {
		if set, ok := known[canonicalFieldName(name)]; ok && set(value) == nil {
			continue
		}
		if cb.Extra == nil {
			cb.Extra = make(map[string]json.RawMessage)
		}
		cb.Extra[name] = value
	}
	return cb, nil
}

// Top-level callback fields in canonical form: lower case, aliases resolved. Every reader of
// callbacks (the relay's ingest and the provider) finds fields through canonicalFieldName, so a
// message one accepts the other reads the same way.
const (
	fieldRequestID     = "requestid"
	fieldDeviceIDs     = "deviceids"
	fieldUsername      = "username"
	fieldPassword      = "password"
	fieldCallbackCount = "callbackcount"
)

// fieldAliases maps other names ThingSpace's pages use for the same field (lower case) to the
// canonical one: the eUICC callback pages show `Device: [{Kind, Identifier}]` where the enable
// page shows `deviceIds: [{kind, id}]`.
var fieldAliases = map[string]string{
	"device":     fieldDeviceIDs,
	"identifier": "id",
}

// canonicalFieldName is the one spelling of a field name every comparison uses.
func canonicalFieldName(name string) string {
	lower := strings.ToLower(name)
	if alias, ok := fieldAliases[lower]; ok {
		return alias
	}
	return lower
}

// knownFields maps each documented field, in canonical form, to a setter that decodes into it.
func (cb *Callback) knownFields() map[string]func(json.RawMessage) error {
	return map[string]func(json.RawMessage) error{
		fieldRequestID:         decodeInto(&cb.RequestID),
		fieldDeviceIDs:         decodeInto(&cb.DeviceIDs),
		"deviceresponse":       decodeInto(&cb.DeviceResponse),
		"faultresponse":        decodeInto(&cb.FaultResponse),
		"status":               decodeInto(&cb.Status),
		fieldCallbackCount:     decodeInto(&cb.CallbackCount),
		"maxcallbackthreshold": decodeInto(&cb.MaxCallbackThreshold),
		fieldUsername:          decodeInto(&cb.Username),
		fieldPassword:          decodeInto(&cb.Password),
	}
}

// Envelope is what a receiver must know of a callback before storing it: which request it
// belongs to and the listener credentials ThingSpace echoed, whatever their spelling.
type Envelope struct {
	RequestID string
	// HasRequestID is false when no requestId string was found.
	HasRequestID       bool
	Username, Password string
}

// TakeEnvelope reads the envelope from a callback's top-level fields and deletes the echoed
// credentials from fields in every spelling, so what remains can be stored. The same field
// given twice in different spellings with different values is an error: the message is
// ambiguous, and guessing could authenticate or file it wrongly. It reads the fields in one pass
// and decodes only the three strings it needs: a receiver runs it on every callback.
func TakeEnvelope(fields map[string]json.RawMessage) (Envelope, error) {
	var username, password, requestID envelopeField
	for name, raw := range fields {
		switch canonicalFieldName(name) {
		case fieldUsername:
			delete(fields, name)
			username.add(raw)
		case fieldPassword:
			delete(fields, name)
			password.add(raw)
		case fieldRequestID:
			requestID.add(raw)
		}
	}
	for _, f := range []struct {
		name  string
		field envelopeField
	}{{fieldUsername, username}, {fieldPassword, password}, {fieldRequestID, requestID}} {
		if f.field.conflict {
			return Envelope{}, fmt.Errorf("the callback has %s twice, in different spellings and with different values", f.name)
		}
	}
	return Envelope{
		RequestID: requestID.value, HasRequestID: requestID.found,
		Username: username.value, Password: password.value,
	}, nil
}

// envelopeField gathers one envelope field from all its spellings. A value that is not a
// string does not count.
type envelopeField struct {
	value           string
	found, conflict bool
}

func (f *envelopeField) add(raw json.RawMessage) {
	v, ok := decodeString(raw)
	switch {
	case !ok:
	case f.found && v != f.value:
		f.conflict = true
	default:
		f.value, f.found = v, true
	}
}

// DeliveryKey identifies a callback message apart from its delivery: two deliveries of the
// same message, one redelivered with a higher callbackCount or in another spelling of the field
// names, have the same key. fields must no longer hold the credentials (TakeEnvelope).
//
// The key is the SHA-256 of the message in canonical form (see canonical.go): top-level and
// nested keys in canonical form and sorted, identifier kinds in lower case, callbackCount left
// out. Where one field is given in several spellings, the last one counts: in document order
// within an object, in byte order of the names at the top level (a map has no order).
func DeliveryKey(fields map[string]json.RawMessage) [32]byte {
	return sha256.Sum256(canonicalForm(fields))
}

// decodeInto returns a setter that leaves *dst untouched unless raw decodes completely, so a
// half-decoded value never reaches the callback.
func decodeInto[T any](dst *T) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		*dst = v
		return nil
	}
}

// Outcome is what a callback says about its device.
type Outcome int

// The outcomes. Only success and failure are final; anything else (a warning, a status
// ThingSpace has not documented) means the device has not answered yet.
const (
	OutcomePending Outcome = iota
	OutcomeSuccess
	OutcomeFailure
)

func (o Outcome) String() string {
	switch o {
	case OutcomeSuccess:
		return "success"
	case OutcomeFailure:
		return "failure"
	}
	return "pending"
}

// Final reports whether o ends the wait for its device.
func (o Outcome) Final() bool { return o != OutcomePending }

// Outcome classifies the callback's status, compared case-insensitively.
func (cb *Callback) Outcome() Outcome {
	status := strings.TrimSpace(cb.Status)
	switch {
	case strings.EqualFold(status, CallbackStatusSuccess):
		return OutcomeSuccess
	case strings.EqualFold(status, CallbackStatusFailed), strings.EqualFold(status, CallbackStatusFailure):
		return OutcomeFailure
	}
	return OutcomePending
}

// RequestedDevice is a device as a profile action named it.
type RequestedDevice struct{ EID, ICCID string }

// Answer says which requested device a callback is about (Device, an index into the requested
// devices, or -1 when it names none of them) and what it says (Outcome).
type Answer struct {
	Device  int
	Outcome Outcome
}

// Answer finds the requested device this callback answers. Devices are matched by EID, and by
// ICCID only where the callback or the requested device has no EID: never by position, and never
// by the whole identifier list, because ThingSpace names the device differently in the callback
// (the source document's request names EID and ICCID, its callback IMEI and EID).
func (cb *Callback) Answer(requested []RequestedDevice) Answer {
	ids := cb.identifiers()
	eids, iccids := ids.all(KindEID), ids.all(KindICCID)
	for i, d := range requested {
		if d.answeredBy(eids, iccids) {
			return Answer{Device: i, Outcome: cb.Outcome()}
		}
	}
	return Answer{Device: -1, Outcome: cb.Outcome()}
}

// identifiers are every device identifier the callback carries: the top-level list first, then
// the collection in the device response.
func (cb *Callback) identifiers() DeviceIDs {
	ids := append(DeviceIDs(nil), cb.DeviceIDs...)
	if p := cb.profileResponse(); p != nil {
		ids = append(ids, p.DeviceIdentifierCollection...)
	}
	return ids
}

func (cb *Callback) profileResponse() *DeviceProfileResponse {
	if cb.DeviceResponse == nil {
		return nil
	}
	return cb.DeviceResponse.DeviceProfileResponse
}

// all returns every identifier of one kind (compared case-insensitively), blanks left out.
func (ids DeviceIDs) all(kind string) []string {
	var out []string
	for _, id := range ids {
		if v := strings.TrimSpace(id.ID); v != "" && strings.EqualFold(strings.TrimSpace(id.Kind), kind) {
			out = append(out, v)
		}
	}
	return out
}

// answeredBy reports whether a callback carrying these EIDs and ICCIDs is about d. When both
// sides know an EID, it decides alone: an ICCID may move between eUICCs, an EID never does.
func (d RequestedDevice) answeredBy(eids, iccids []string) bool {
	if strings.TrimSpace(d.EID) != "" && len(eids) > 0 {
		return matchID(d.EID, eids)
	}
	return matchID(d.ICCID, iccids)
}

func matchID(want string, have []string) bool {
	want = strings.TrimSpace(want)
	return want != "" && slices.Contains(have, want)
}

// DeviceResult flattens what a callback says about its device. Missing fields are "".
type DeviceResult struct {
	EID, ICCID, IMEI, MDN                         string
	IPAddress, State, ServicePlan, ProfileStatus  string
	EuiccStatus, EuiccStatusCode, EuiccStatusDesc string
	Status                                        string
	CredentialUsername, CredentialPassword        string
	FaultCode, FaultString                        string
}

// Result flattens the callback into a DeviceResult.
func (cb *Callback) Result() DeviceResult {
	ids := cb.identifiers()
	r := DeviceResult{
		EID: first(ids.all(KindEID)), ICCID: first(ids.all(KindICCID)),
		IMEI: first(ids.all(KindIMEI)), MDN: first(ids.all(KindMDN)),
		Status: cb.Status,
	}
	if p := cb.profileResponse(); p != nil {
		r.IPAddress, r.State, r.ServicePlan, r.ProfileStatus = p.IPAddress, p.State, p.ServicePlan, p.ProfileStatus
		r.EuiccStatus, r.EuiccStatusCode, r.EuiccStatusDesc = p.EuiccStatus, p.EuiccStatusCode, p.EuiccStatusDesc
		if p.DeviceCredential != nil {
			r.CredentialUsername, r.CredentialPassword = p.DeviceCredential.Username, p.DeviceCredential.Password
		}
	}
	if f := cb.FaultResponse; f != nil {
		r.FaultCode, r.FaultString = f.FaultCode, f.FaultString
	}
	return r
}

func first(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}
