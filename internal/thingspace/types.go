package thingspace

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Wire types: the JSON bodies ThingSpace sends and receives, as documented. The simulator uses
// the same types, so a field's JSON name is written exactly once.

// DeviceID is one identifier of a device.
type DeviceID struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// UnmarshalJSON reads an identifier in any spelling of its field names (`kind`/`Kind`,
// `id`/`Identifier`), since ThingSpace's callback pages use both.
func (d *DeviceID) UnmarshalJSON(data []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return err
	}
	var out DeviceID
	for name, raw := range fields {
		var err error
		switch canonicalFieldName(name) {
		case "kind":
			err = json.Unmarshal(raw, &out.Kind)
		case "id":
			err = json.Unmarshal(raw, &out.ID)
		}
		if err != nil {
			return err
		}
	}
	*d = out
	return nil
}

// DeviceIDs is a device's list of identifiers.
type DeviceIDs []DeviceID

// Get returns the identifier of the given kind (compared case-insensitively), or "".
func (ids DeviceIDs) Get(kind string) string {
	for _, id := range ids {
		if strings.EqualFold(id.Kind, kind) {
			return id.ID
		}
	}
	return ""
}

// ProfileDevice names one device in a profile-action request.
type ProfileDevice struct {
	DeviceIDs DeviceIDs `json:"deviceIds"`
}

// ProfileRequest is the body of every profile action (enable, disable, ...).
type ProfileRequest struct {
	Devices     []ProfileDevice `json:"devices"`
	AccountName string          `json:"accountName"`
	SmsrOid     string          `json:"smsrOid"`
}

// RequestIDResponse is the synchronous answer of an asynchronous action.
type RequestIDResponse struct {
	RequestID string `json:"requestId"`
}

// TokenResponse is the OAuth token endpoint's answer.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

// LoginRequest is the M2M session login body.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// LoginResponse is the M2M session login answer.
type LoginResponse struct {
	SessionToken string `json:"sessionToken"`
}

// CallbackListener registers a URL for one callback service of an account.
type CallbackListener struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// CallbackListenerResponse answers a listener registration or deletion.
type CallbackListenerResponse struct {
	AccountName string `json:"accountName"`
	ServiceName string `json:"serviceName"`
}

// RegisteredListener is one entry of the listener list, as it was registered (empty strings
// where no credentials were registered). ThingSpace echoes the password too; nothing in this
// project keeps or shows it.
type RegisteredListener struct {
	AccountName string `json:"accountName"`
	ServiceName string `json:"serviceName"`
	URL         string `json:"url"`
	Username    string `json:"username"`
	Password    string `json:"password"`
}

// DeviceListRequest asks for an account's devices, or for one device by identifier.
type DeviceListRequest struct {
	AccountName string    `json:"accountName,omitempty"`
	DeviceID    *DeviceID `json:"deviceId,omitempty"`
	// CurrentState keeps only the devices in one service state (one of DeviceStates).
	CurrentState        string `json:"currentState,omitempty"`
	LargestDeviceIDSeen int64  `json:"largestDeviceIdSeen,omitempty"`
}

// DeviceListResponse is one page of devices.
type DeviceListResponse struct {
	HasMoreData bool     `json:"hasMoreData"`
	Devices     []Device `json:"devices"`
}

// Device is one device as the device list describes it.
type Device struct {
	AccountName         string               `json:"accountName"`
	DeviceIDs           DeviceIDs            `json:"deviceIds"`
	CarrierInformations []CarrierInformation `json:"carrierInformations,omitempty"`
	Connected           bool                 `json:"connected"`
	IPAddress           string               `json:"ipAddress,omitempty"`
	CreatedAt           string               `json:"createdAt,omitempty"`
	LastActivationDate  string               `json:"lastActivationDate,omitempty"`
	ExtendedAttributes  []ExtendedAttribute  `json:"extendedAttributes,omitempty"`
}

// ExtendedAttribute is one key/value pair of a device's extended attributes.
type ExtendedAttribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// NumericID returns the device's numeric id (the extended attribute ExtendedAttributeDeviceID),
// the key the device list pages by.
func (d Device) NumericID() (int64, bool) {
	for _, a := range d.ExtendedAttributes {
		if strings.EqualFold(a.Key, ExtendedAttributeDeviceID) {
			id, err := strconv.ParseInt(strings.TrimSpace(a.Value), 10, 64)
			return id, err == nil
		}
	}
	return 0, false
}

// CarrierInformation is a device's service state with one carrier.
type CarrierInformation struct {
	CarrierName string `json:"carrierName"`
	ServicePlan string `json:"servicePlan"`
	State       string `json:"state"`
}

// RequestStatus is the v2 request-status answer.
type RequestStatus struct {
	RequestID   string       `json:"requestId"`
	Status      string       `json:"status"`
	SubRequests []SubRequest `json:"subRequests,omitempty"`
}

// SubRequest is one device's part of a request's status.
type SubRequest struct {
	IDs    DeviceIDs `json:"ids"`
	Status string    `json:"status"`
}

// M2MError is the envelope of M2M errors (usually HTTP 400).
type M2MError struct {
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
}

// GatewayFault is the API gateway's error envelope (HTTP 401 or 400).
type GatewayFault struct {
	Fault struct {
		Code        string `json:"code"`
		Message     string `json:"message"`
		Description string `json:"description,omitempty"`
	} `json:"fault"`
}

// OAuthError is the token endpoint's error envelope.
type OAuthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}
