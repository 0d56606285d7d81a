package thingspace

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCheckHTTPURL(t *testing.T) {
	for value, want := range map[string]string{
		"https://thingspace.verizon.com":          "",
		"http://127.0.0.1:8080/base":              "",
		"thingspace.verizon.com":                  "is not an absolute http:// or https:// URL",
		"ftp://relay.example.com":                 "is not an absolute",
		"https://":                                "is not an absolute",
		"https://user:hunter2@relay.example.com":  "must not carry credentials",
		"https://user@relay.example.com:8443/x":   "must not carry credentials",
		"relay.example.com:hunter2@relay.example": "must not carry credentials",
	} {
		err := CheckHTTPURL(value)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q refused: %v", value, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: error %v, want it to say %q", value, err, want)
		case err != nil && strings.Contains(err.Error(), "hunter2"):
			t.Errorf("%q: the error repeats the password: %v", value, err)
		}
	}
}

func TestParseRequestTimeout(t *testing.T) {
	for value, want := range map[string]time.Duration{"60s": time.Minute, "1m30s": 90 * time.Second, "250ms": 250 * time.Millisecond,
		"0s": 0, "-5s": 0, "60": 0, "soon": 0, "": 0} {
		got, err := ParseRequestTimeout(value)
		if got != want || (err == nil) != (want > 0) {
			t.Errorf("ParseRequestTimeout(%q) = %s, %v; want %s", value, got, err, want)
		}
		if err != nil && !strings.Contains(err.Error(), "positive duration") {
			t.Errorf("ParseRequestTimeout(%q): %v does not say what is accepted", value, err)
		}
	}
}

func TestCredentialPairMissing(t *testing.T) {
	p := OAuthCredentials
	cases := []struct {
		name, secret, token bool
		want                []string
	}{
		{true, true, false, nil},
		{false, false, true, nil},
		{true, true, true, nil},
		{false, false, false, []string{"client_id", "client_secret"}},
		{true, false, false, []string{"client_secret"}},
		{false, true, false, []string{"client_id"}},
		// Half a pair is a mistake even when the token would do.
		{true, false, true, []string{"client_secret"}},
	}
	for _, tc := range cases {
		if got := p.Missing(tc.name, tc.secret, tc.token); !slices.Equal(got, tc.want) {
			t.Errorf("Missing(%t, %t, %t) = %v, want %v", tc.name, tc.secret, tc.token, got, tc.want)
		}
	}
}

func TestSentenceEndsWithOneFullStop(t *testing.T) {
	for in, want := range map[string]string{
		"does not exist": "does not exist.", "does not exist.": "does not exist.", "cut short...": "cut short...", "": "",
	} {
		if got := Sentence(in); got != want {
			t.Errorf("Sentence(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCrossesNetworkInClear(t *testing.T) {
	for value, want := range map[string]bool{
		"http://relay.example.com":     true,
		"http://10.1.2.3:8080":         true,
		"https://relay.example.com":    false,
		"http://127.0.0.1:8080":        false,
		"http://127.8.9.10":            false,
		"http://localhost:8080":        false,
		"http://[::1]:8080/callbacks":  false,
		"http://[2001:db8::1]:8080":    true,
		"HTTPS://thingspace.vzw.com/x": false,
	} {
		if got := CrossesNetworkInClear(value); got != want {
			t.Errorf("CrossesNetworkInClear(%q) = %v, want %v", value, got, want)
		}
	}
}
