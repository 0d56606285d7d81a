package provider

import (
	"errors"
	"strings"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

func TestListenerNotRegisteredNeverShowsThePassword(t *testing.T) {
	echoed := &thingspace.Error{HTTPStatus: 400, Operation: "register callback listener",
		Code: "UnifiedWebService.INPUT_INVALID.Callback.Invalid", Message: "password s3cret-pw is too weak"}
	for _, err := range []error{echoed, errors.Join(thingspace.ErrOutcomeUnknown, errors.New("lost s3cret-pw"))} {
		for _, op := range []listenerOperation{listenerCreate, listenerUpdate} {
			d := listenerNotRegistered("0000123456-00001/DeviceProfileService", op, err, "s3cret-pw")
			if text := d.Summary() + d.Detail(); strings.Contains(text, "s3cret-pw") || !strings.Contains(text, "(password)") {
				t.Errorf("diagnostic shows the password, or not where it was: %s", text)
			}
		}
	}
}

func TestParseListenerID(t *testing.T) {
	for id, ok := range map[string]bool{
		"0000123456-00001/DeviceProfileService": true,
		"TestAccount-2/Other":                   true,
		"0000123456-00001":                      false,
		"/DeviceProfileService":                 false,
		"0000123456-00001/":                     false,
		"a/b/c":                                 false,
		"":                                      false,
	} {
		account, service, got := parseListenerID(id)
		if got != ok || (ok && listenerID(account, service) != id) {
			t.Errorf("parseListenerID(%q) = %q, %q, %v; want ok=%v", id, account, service, got, ok)
		}
	}
}
