package thingspace

import (
	"strings"
	"testing"
	"time"
)

func TestNewClientValidates(t *testing.T) {
	full := Config{ClientID: "id", ClientSecret: "secret", Username: "user", Password: "pass"}
	cases := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no oauth", func(c *Config) { c.ClientID, c.ClientSecret = "", "" }, "set client_id and client_secret (or access_token)"},
		{"id without secret", func(c *Config) { c.ClientSecret = "" }, "set client_secret too"},
		{"secret without id", func(c *Config) { c.ClientID = "" }, "set client_id too"},
		{"no m2m", func(c *Config) { c.Username, c.Password = "", "" }, "set username and password (or session_token)"},
		{"user without password", func(c *Config) { c.Password = "" }, "set password too"},
		{"password without user", func(c *Config) { c.Username = "" }, "set username too"},
		{"bad base url", func(c *Config) { c.BaseURL = "thingspace.verizon.com" }, "base_url"},
		{"credentials in base url", func(c *Config) { c.BaseURL = "https://user:secret@thingspace.verizon.com" }, "base_url: the URL must not carry credentials"},
		{"token does not excuse half a pair", func(c *Config) { c.ClientSecret, c.AccessToken = "", "bearer" }, "set client_secret too"},
		{"negative retries", func(c *Config) { c.MaxRetries = -1 }, "max_retries"},
		{"negative timeout", func(c *Config) { c.RequestTimeout = -time.Second }, "request_timeout"},
		{"inverted delays", func(c *Config) { c.RetryMinDelay, c.RetryMaxDelay = time.Minute, time.Second }, "inverted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := full
			tc.change(&cfg)
			_, err := NewClient(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to say %q", err, tc.want)
			}
			for _, secret := range []string{"secret", "pass"} {
				if strings.Contains(err.Error(), `"`+secret+`"`) {
					t.Errorf("error %q quotes a secret", err)
				}
			}
		})
	}
}

func TestNewClientDefaults(t *testing.T) {
	c, err := NewClient(Config{AccessToken: "tok", SessionToken: "sess", BaseURL: "https://example.test/"})
	if err != nil {
		t.Fatal(err)
	}
	got := c.cfg
	if got.BaseURL != "https://example.test" || got.RequestTimeout != DefaultRequestTimeout ||
		got.RetryMinDelay != DefaultRetryMinDelay || got.RetryMaxDelay != DefaultRetryMaxDelay ||
		got.MaxDevicesPerRequest != DefaultMaxDevicesPerRequest || got.UserAgent != DefaultUserAgent || got.HTTPClient == nil {
		t.Errorf("defaults not applied: %+v", got)
	}
	if d, _ := NewClient(Config{AccessToken: "t", SessionToken: "s"}); d.cfg.BaseURL != DefaultBaseURL {
		t.Errorf("base URL = %q, want %q", d.cfg.BaseURL, DefaultBaseURL)
	}
}
