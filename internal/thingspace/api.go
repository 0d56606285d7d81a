// Package thingspace is a client for the parts of Verizon ThingSpace's Connectivity Management
// (M2M) API that eUICC profile management needs: OAuth and M2M session authentication, the
// asynchronous profile actions, callback listeners, device listing and request status, plus the
// callback messages those actions produce and what they mean.
//
// This file is the single home of the API's facts: paths, header names, codes and limits. Where
// Verizon's public documentation leaves a fact uncertain, or its pages disagree, the constant
// says so, and both the client and the simulator read it from here, so changing our
// understanding of the API is a one-line change.
package thingspace

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is ThingSpace's production address.
const DefaultBaseURL = "https://thingspace.verizon.com"

// Paths, relative to the base URL.
const (
	PathOAuthToken    = "/api/ts/v1/oauth2/token"
	PathOAuthRevoke   = "/api/ts/v1/oauth2/revoke"
	PathSessionLogin  = "/api/m2m/v1/session/login"
	PathSessionLogout = "/api/m2m/v1/session/logout"
	PathDeviceList    = "/api/m2m/v1/devices/actions/list"

	pathProfileActions = "/api/m2m/v1/devices/profile/actions/"
	pathCallbacks      = "/api/m2m/v1/callbacks/"
	pathAccountsV2     = "/api/m2m/v2/accounts/"
)

// HeaderSessionToken carries the M2M session token on every M2M call except login.
const HeaderSessionToken = "VZ-M2M-Token"

// ProfileActionPath is the path of one of the asynchronous eUICC profile actions.
func ProfileActionPath(a ProfileAction) string { return pathProfileActions + string(a) }

// CallbackListenersPath is where an account's callback listeners are registered and listed.
func CallbackListenersPath(accountName string) string {
	return pathCallbacks + url.PathEscape(accountName)
}

// CallbackListenerPath addresses one registered listener, for deletion.
func CallbackListenerPath(accountName, serviceName string) string {
	return CallbackListenersPath(accountName) + "/name/" + url.PathEscape(serviceName)
}

// RequestStatusPath is the v2 request-status endpoint, documented "for eUICC". Whether it covers
// the legacy SM-SR enable is not stated, so it is only ever a fallback or cross-check.
func RequestStatusPath(accountName, requestID string) string {
	return pathAccountsV2 + url.PathEscape(accountName) + "/requests/" + url.PathEscape(requestID) + "/status"
}

// ProfileAction names one of the asynchronous eUICC local-profile actions.
type ProfileAction string

// The five profile actions. All take the same body and answer with a requestId.
const (
	ActionDownloadEnable  ProfileAction = "download_enable"
	ActionDownloadDisable ProfileAction = "download_disable"
	ActionEnable          ProfileAction = "enable"
	ActionDisable         ProfileAction = "disable"
	ActionDelete          ProfileAction = "delete"
)

// ProfileActions lists every profile action, in the order the documentation gives them.
func ProfileActions() []ProfileAction {
	return []ProfileAction{ActionDownloadEnable, ActionDownloadDisable, ActionEnable, ActionDisable, ActionDelete}
}

// Valid reports whether a is one of the five documented actions.
func (a ProfileAction) Valid() bool {
	for _, known := range ProfileActions() {
		if a == known {
			return true
		}
	}
	return false
}

// ServiceDeviceProfile is the callback service whose listener receives profile-action results.
const ServiceDeviceProfile = "DeviceProfileService"

// Error codes the client acts on. M2M codes are matched without their service prefix
// ("UnifiedWebService.REQUEST_FAILED.SessionToken.Expired" matches CodeSessionExpired).
const (
	// CodeSessionExpired is answered (HTTP 400) when the M2M session has expired; the only
	// remedy is a new login, since there is no refresh endpoint.
	CodeSessionExpired = "REQUEST_FAILED.SessionToken.Expired"
	// FaultInvalidCredentials is the API gateway's code (HTTP 401) for a wrong or expired bearer.
	FaultInvalidCredentials = "900901"
	// FaultMissingCredentials is the API gateway's code for a request without a bearer.
	FaultMissingCredentials = "900902"
)

// Other error codes the documentation lists; the simulator answers with them.
const (
	CodeIdentifierInvalid   = "INPUT_INVALID.Device.Identifier.Invalid"
	CodeDeviceNotFound      = "REQUEST_FAILED.DeviceNotFound"
	CodeAccountNotFound     = "REQUEST_FAILED.AccountNotFound"
	CodeDeviceStateInvalid  = "INPUT_INVALID.DeviceState.Invalid"
	CodeTooManyDevices      = "INPUT_INVALID.NumberofDevices"
	CodeUnexpectedError     = "REQUEST_FAILED.UnexpectedError"
	CodeSessionTokenInvalid = "REQUEST_FAILED.SessionToken.Invalid"
	// CodeLoginFailed and CodeAccountLocked answer a refused login. Their exact spelling is not
	// documented; what matters is that a refused login is never retried, because
	// MaxFailedLogins consecutive failures lock the account until the customer calls Verizon.
	CodeLoginFailed   = "REQUEST_FAILED.UserNotAuthorized"
	CodeAccountLocked = "REQUEST_FAILED.AccountLocked"
)

// MaxFailedLogins is how many consecutive failed logins lock an M2M account.
const MaxFailedLogins = 5

// Limits and lifetimes.
const (
	// DefaultMaxDevicesPerRequest bounds the devices in one profile-action request. The limit
	// for this flavour of the API is not documented (an older interface allowed one device; a
	// generic error exists for more than 200), so it is a setting with this default.
	DefaultMaxDevicesPerRequest = 200

	// BearerLifetime is how long an OAuth bearer lives from its first issue; asking again within
	// that time returns the same token.
	BearerLifetime = time.Hour

	// SessionIdleTimeout is how long an M2M session survives without being used.
	SessionIdleTimeout = 20 * time.Minute

	// DefaultMaxCallbackThreshold is how many times ThingSpace sends a callback the listener does
	// not acknowledge with 2xx (4 in the documented example; a secondary source says 3 retries
	// five minutes apart).
	DefaultMaxCallbackThreshold = 4

	// DefaultCallbackRetryInterval is the pause between two sends of the same callback.
	DefaultCallbackRetryInterval = 5 * time.Minute

	// DeviceListPageSize is the most devices one device-list answer carries.
	DeviceListPageSize = 2000
)

// ExtendedAttributeDeviceID is the extended attribute of a listed device that holds its numeric
// id: the device list answers in ascending id order, and the next page is asked for with the
// largest id seen (largestDeviceIdSeen).
const ExtendedAttributeDeviceID = "DeviceId"

// Device identifier kinds. ThingSpace spells them in several cases ("eid", "ICCID", "Imei"):
// always compare with strings.EqualFold.
const (
	KindEID   = "eid"
	KindICCID = "iccid"
	KindIMEI  = "imei"
	KindMDN   = "mdn"
)

// Device service states, as the device list reports them and its currentState filter takes them.
const (
	DeviceStateActive    = "active"
	DeviceStateDeactive  = "deactive"
	DeviceStateSuspend   = "suspend"
	DeviceStatePreActive = "pre-active"
)

// DeviceStates lists every device service state, in the order the documentation gives them.
func DeviceStates() []string {
	return []string{DeviceStateActive, DeviceStateDeactive, DeviceStateSuspend, DeviceStatePreActive}
}

// Callback status values. Only CallbackStatusSuccess and CallbackStatusFailed are final; the
// exact spelling of the warning status is not published, so anything else is progress.
const (
	CallbackStatusSuccess = "Success"
	CallbackStatusFailed  = "Failed"
	// CallbackStatusFailure is a spelling of CallbackStatusFailed that secondary sources use.
	CallbackStatusFailure = "Failure"
	CallbackStatusWarning = "Warning"
)

// Route patterns (net/http ServeMux syntax) of the paths above that carry parameters, for a
// server that implements the API (the simulator). Each is the matching *Path function with its
// parameters as wildcards, kept beside it so a path changes in one file.
const (
	PatternProfileAction     = pathProfileActions + "{action}"
	PatternCallbackListeners = pathCallbacks + "{accountName}"
	PatternCallbackListener  = pathCallbacks + "{accountName}/name/{serviceName}"
	PatternRequestStatus     = pathAccountsV2 + "{accountName}/requests/{requestId}/status"
)

// PortRange is an inclusive range of TCP ports.
type PortRange struct{ First, Last int }

// CallbackPortRanges are the only ports ThingSpace delivers callbacks to, as its listener
// registration page lists them; it refuses to register a listener URL on any other port.
func CallbackPortRanges() []PortRange {
	return []PortRange{{80, 80}, {443, 443}, {9001, 9006}, {50551, 50559}, {28200, 28220}}
}

// CallbackPortsText lists CallbackPortRanges for messages: "80, 443, 9001-9006, ... and 28200-28220".
func CallbackPortsText() string {
	ranges := CallbackPortRanges()
	parts := make([]string, len(ranges))
	for i, r := range ranges {
		parts[i] = strconv.Itoa(r.First)
		if r.Last != r.First {
			parts[i] += "-" + strconv.Itoa(r.Last)
		}
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// CheckCallbackPort refuses a listener URL whose port ThingSpace does not deliver to. A URL
// without a port uses its scheme's (80 for http, 443 for https), as ThingSpace connects to it.
// It judges the port only: the caller checks the scheme and host.
func CheckCallbackPort(u *url.URL) error {
	port := 0
	switch p := u.Port(); {
	case p != "":
		n, err := strconv.Atoi(p)
		if err != nil {
			return fmt.Errorf("port %q is not a number", p)
		}
		port = n
	case strings.EqualFold(u.Scheme, "https"):
		port = 443
	default:
		port = 80
	}
	for _, r := range CallbackPortRanges() {
		if port >= r.First && port <= r.Last {
			return nil
		}
	}
	return fmt.Errorf("ThingSpace delivers callbacks only to ports %s, not to port %d", CallbackPortsText(), port)
}
