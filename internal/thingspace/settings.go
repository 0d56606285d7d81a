package thingspace

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// The rules for the settings users give the client, written once: Config applies them when a
// client is built, and the provider applies the same functions to its configuration (at plan
// time through internal/validators, at configure time for values from the environment), adding
// where each setting is set. Messages name settings as users write them (the provider's
// attributes) and never quote a secret.

// CheckHTTPURL accepts an absolute http:// or https:// URL without credentials in it.
func CheckHTTPURL(value string) error {
	if strings.Contains(value, "@") {
		// Checked first, and without echoing the value, so a password embedded in the URL
		// never reaches a message.
		return errors.New("the URL must not carry credentials (user:password@): give them in their own settings instead")
	}
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http:// or https:// URL: write it with its scheme and host, for example https://host.example.com", value)
	}
	return nil
}

// CrossesNetworkInClear reports whether a valid URL (CheckHTTPURL) is plain http:// to a host
// other than this machine: whatever is sent to it (the bearer and session to ThingSpace, the
// read token to the relay, device credentials from the relay) crosses the network unencrypted.
func CrossesNetworkInClear(value string) bool {
	u, err := url.Parse(value)
	if err != nil || u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// ParseRequestTimeout reads a per-request time limit written as a Go duration. Only a positive
// one is accepted: zero or less would make every ThingSpace call fail at once.
func ParseRequestTimeout(value string) (time.Duration, error) {
	d, err := time.ParseDuration(value)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration such as \"30s\", \"2m\" or \"1m30s\": write a number followed by a unit (ms, s, m or h)", value)
	}
	return d, nil
}

// CredentialPair is one of the two tokens ThingSpace wants and how the client gets it: from a
// name and a secret, or given directly as a token obtained elsewhere. The fields name the
// settings.
type CredentialPair struct {
	What                string // for messages: "OAuth client credentials"
	Name, Secret, Token string
}

// The two credential pairs, in the order they are checked and reported.
var (
	OAuthCredentials = CredentialPair{What: "OAuth client credentials", Name: "client_id", Secret: "client_secret", Token: "access_token"}
	M2MCredentials   = CredentialPair{What: "M2M (UWS) credentials", Name: "username", Secret: "password", Token: "session_token"}
)

// Missing returns the settings of p still to set: the other half of a half-set pair (a token
// does not excuse it, as it is a mistake either way), or both halves when neither they nor
// the token are set. It is told only which values are set, so no value can reach a message.
func (p CredentialPair) Missing(nameSet, secretSet, tokenSet bool) []string {
	switch {
	case nameSet && !secretSet:
		return []string{p.Secret}
	case !nameSet && secretSet:
		return []string{p.Name}
	case !nameSet && !secretSet && !tokenSet:
		return []string{p.Name, p.Secret}
	}
	return nil
}

// problem is Missing as one clause of an error message, or "".
func (p CredentialPair) problem(name, secret, token string) string {
	missing := p.Missing(name != "", secret != "", token != "")
	switch {
	case len(missing) == 2:
		return fmt.Sprintf("no %s: set %s and %s (or %s)", p.What, p.Name, p.Secret, p.Token)
	case len(missing) == 1 && missing[0] == p.Secret:
		return fmt.Sprintf("%s is set without %s: set %s too", p.Name, p.Secret, p.Secret)
	case len(missing) == 1:
		return fmt.Sprintf("%s is set without %s: set %s too", p.Secret, p.Name, p.Name)
	}
	return ""
}
