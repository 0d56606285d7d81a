package thingspace

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestDecodeErrorEnvelopes(t *testing.T) {
	cases := []struct {
		name                           string
		status                         int
		body                           string
		envelope, code, short, message string
	}{
		{"m2m", 400, `{"errorCode":"UnifiedWebService.REQUEST_FAILED.SessionToken.Expired","errorMessage":"Session Token Expired"}`,
			EnvelopeM2M, "UnifiedWebService.REQUEST_FAILED.SessionToken.Expired", CodeSessionExpired, "Session Token Expired"},
		{"m2m without prefix", 400, `{"errorCode":"INPUT_INVALID.Device.Identifier.Invalid","errorMessage":"bad id"}`,
			EnvelopeM2M, CodeIdentifierInvalid, CodeIdentifierInvalid, "bad id"},
		{"m2m device service", 400, `{"errorCode":"DeviceService.REQUEST_FAILED.DeviceNotFound","errorMessage":"no such device"}`,
			EnvelopeM2M, "DeviceService.REQUEST_FAILED.DeviceNotFound", CodeDeviceNotFound, "no such device"},
		{"gateway", 401, `{"fault":{"code":"900901","message":"Invalid Credentials","description":"Invalid Credentials. Make sure you have given the correct access token"}}`,
			EnvelopeGateway, FaultInvalidCredentials, FaultInvalidCredentials, "Invalid Credentials. Make sure you have given the correct access token"},
		{"gateway numeric code", 401, `{"fault":{"code":900902,"message":"Missing Credentials"}}`,
			EnvelopeGateway, FaultMissingCredentials, FaultMissingCredentials, "Missing Credentials"},
		{"oauth", 401, `{"error":"invalid_client","error_description":"Client Authentication failed."}`,
			EnvelopeOAuth, "invalid_client", "invalid_client", "Client Authentication failed."},
		{"bare number", 400, `1000`, "", "1000", "1000", ""},
		{"bare numeric string", 400, ` "1000" `, "", "1000", "1000", ""},
		{"throttling proxy", 429, `{"message":"Too Many Requests"}`, "", "", "", "Too Many Requests"},
		{"html", 502, "<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad   Gateway</h1><p>upstream timed out</p></body></html>",
			"", "", "", "502 Bad Gateway Bad Gateway upstream timed out"},
		{"html repeating the status", 502, "<html><title>502 Bad Gateway</title><h1>502 Bad Gateway</h1></html>", "", "", "", ""},
		{"empty", 503, ``, "", "", "", ""},
		{"json array", 500, `["a"]`, "", "", "", `["a"]`},
		{"oauth error not a string", 400, `{"error":{"x":1}}`, "", "", "", `{"error":{"x":1}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := decodeError("enable profile", tc.status, []byte(tc.body), nil)
			got := [4]string{e.Envelope, e.Code, e.ShortCode, e.Message}
			want := [4]string{tc.envelope, tc.code, tc.short, tc.message}
			if got != want {
				t.Errorf("decoded (envelope, code, short code, message) = %q, want %q", got, want)
			}
			if e.HTTPStatus != tc.status || e.Operation != "enable profile" {
				t.Errorf("status, operation = %d, %q; want %d, %q", e.HTTPStatus, e.Operation, tc.status, "enable profile")
			}
			if !strings.HasPrefix(e.Error(), fmt.Sprintf("enable profile: ThingSpace answered HTTP %d", tc.status)) {
				t.Errorf("Error() = %q: should start with the operation and the status", e.Error())
			}
		})
	}
}

func TestDecodeErrorSnippetIsShortAndClean(t *testing.T) {
	body := "<html>" + strings.Repeat("proxy says no\x00\t", 100) + "</html>"
	e := decodeError("list devices", 502, []byte(body), nil)
	if n := len([]rune(e.Message)); n > maxSnippetRunes+3 {
		t.Errorf("message has %d runes, want at most %d", n, maxSnippetRunes+3)
	}
	if strings.ContainsAny(e.Message, "\x00\t<>") {
		t.Errorf("message %q still holds control characters or markup", e.Message)
	}
	if !strings.HasPrefix(e.Message, "proxy says no proxy says no") {
		t.Errorf("message %q lost the words of the body", e.Message)
	}
}

func TestDecodeErrorScrubsSecrets(t *testing.T) {
	secret := "s3cr3t-PASSWORD-value"
	bodies := []string{
		`{"errorCode":"UnifiedWebService.REQUEST_FAILED.UserNotAuthorized","errorMessage":"bad password s3cr3t-PASSWORD-value for user"}`,
		`{"fault":{"code":"900901","message":"token s3cr3t-PASSWORD-value is invalid"}}`,
		`{"error":"invalid_client","error_description":"secret s3cr3t-PASSWORD-value"}`,
		`<p>echo: s3cr3t-PASSWORD-value</p>`,
		// Truncation must not leave part of a secret behind.
		strings.Repeat("x", maxSnippetRunes-5) + " " + secret,
	}
	for _, body := range bodies {
		e := decodeError("login", 400, []byte(body), []string{secret})
		e.Hint = "check username and password"
		if strings.Contains(e.Error(), secret) || strings.Contains(e.Error(), secret[:6]) {
			t.Errorf("Error() = %q leaks the secret", e.Error())
		}
	}
}

func TestErrorCodeUnwraps(t *testing.T) {
	e := decodeError("enable profile", 400, []byte(`{"errorCode":"DeviceService.INPUT_INVALID.NumberofDevices","errorMessage":"too many"}`), nil)
	wrapped := fmt.Errorf("creating enablement: %w", e)
	if got := ErrorCode(wrapped); got != CodeTooManyDevices {
		t.Errorf("ErrorCode = %q, want %q", got, CodeTooManyDevices)
	}
	if got := ErrorCode(errors.New("plain")); got != "" {
		t.Errorf("ErrorCode of a plain error = %q, want empty", got)
	}
}

func TestErrorMessageMentionsAttemptsAndHint(t *testing.T) {
	e := &Error{HTTPStatus: 429, Operation: "list devices", Message: "Too Many Requests", Attempts: 6, Hint: "Try later"}
	want := "list devices: ThingSpace answered HTTP 429 Too Many Requests: Too Many Requests (gave up after 6 attempts). Try later"
	if e.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", e.Error(), want)
	}
}
