package thingspace

import (
	"net/url"
	"strings"
	"testing"
)

func TestCallbackPortsText(t *testing.T) {
	if got, want := CallbackPortsText(), "80, 443, 9001-9006, 50551-50559 and 28200-28220"; got != want {
		t.Errorf("CallbackPortsText() = %q, want %q", got, want)
	}
}

func TestCheckCallbackPort(t *testing.T) {
	for raw, ok := range map[string]bool{
		"http://relay.example/cb":         true, // the scheme's port: 80
		"https://relay.example/cb":        true, // 443
		"https://relay.example:9001/cb":   true,
		"https://relay.example:9006/cb":   true,
		"https://relay.example:50555/cb":  true,
		"http://relay.example:28200/cb":   true,
		"http://127.0.0.1:28220/cb":       true,
		"https://[::1]:443/cb":            true,
		"https://relay.example:8443/cb":   false,
		"http://relay.example:8080/cb":    false,
		"https://relay.example:9007/cb":   false,
		"https://relay.example:28199/cb":  false,
		"https://relay.example:50560/cb":  false,
		"https://relay.example:0/cb":      false,
		"https://relay.example:65536/cb":  false,
		"http://relay.example:00080/cb":   true, // the same port, however it is written
		"https://relay.example:443443/cb": false,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("parse %s: %v", raw, err)
		}
		err = CheckCallbackPort(u)
		if (err == nil) != ok {
			t.Errorf("CheckCallbackPort(%s) = %v, want accepted=%v", raw, err, ok)
		}
		if err != nil && !strings.Contains(err.Error(), CallbackPortsText()) {
			t.Errorf("CheckCallbackPort(%s) = %q does not name the allowed ports", raw, err)
		}
	}
}
