package thingspace

import "encoding/json"

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
