package simulator

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

func TestCallbackListenerLifecycle(t *testing.T) {
	f := newFixture(t, Options{})
	h := f.auth()
	path := thingspace.CallbackListenersPath(TestAccount)
	list := func() []thingspace.RegisteredListener {
		var out []thingspace.RegisteredListener
		f.okJSON(http.MethodGet, path, h, nil, &out)
		return out
	}
	for _, url := range []string{"https://relay.example/one", "http://relay.example:28220/two"} { // registering again replaces
		resp := f.do(http.MethodPost, path, h, thingspace.CallbackListener{
			Name: thingspace.ServiceDeviceProfile, URL: url, Username: "u2", Password: "p2",
		})
		var ack thingspace.CallbackListenerResponse
		resp.json(t, &ack)
		if resp.status != http.StatusOK || ack != (thingspace.CallbackListenerResponse{AccountName: TestAccount, ServiceName: thingspace.ServiceDeviceProfile}) {
			t.Fatalf("register: %d %s", resp.status, resp.body)
		}
	}
	want := thingspace.RegisteredListener{AccountName: TestAccount, ServiceName: thingspace.ServiceDeviceProfile,
		URL: "http://relay.example:28220/two", Username: "u2", Password: "p2"}
	if got := list(); len(got) != 1 || got[0] != want {
		t.Fatalf("list = %+v, want what was registered: %+v", got, want)
	}

	// Callbacks go to the listener registered now, with its credentials. The test listener runs
	// on a free port, which the API refuses, so it is registered directly.
	f.sim.RegisterListener(TestAccount, thingspace.CallbackListener{
		Name: thingspace.ServiceDeviceProfile, URL: f.listenerURL, Username: "u2", Password: "p2",
	})
	req := profileRequest(eidA)
	req.AccountName = TestAccount
	f.action(h, thingspace.ActionEnable, req)
	if cb := f.nextCallback().cb; cb.Username != "u2" || cb.Password != "p2" {
		t.Fatalf("callback credentials %q/%q, want the registered u2/p2", cb.Username, cb.Password)
	}

	for range 2 { // deleting twice succeeds: a retried delete is harmless
		resp := f.do(http.MethodDelete, thingspace.CallbackListenerPath(TestAccount, thingspace.ServiceDeviceProfile), h, nil)
		if resp.status != http.StatusOK {
			t.Fatalf("delete: %d %s", resp.status, resp.body)
		}
	}
	if got := list(); len(got) != 0 {
		t.Fatalf("list after delete = %+v", got)
	}
	if resp := f.do(http.MethodGet, path, h, nil); string(resp.body) != "[]" {
		t.Fatalf("empty list encodes as %s, want []", resp.body)
	}
}

func TestCallbackListenerRefusals(t *testing.T) {
	f := newFixture(t, Options{})
	h := f.auth()
	cases := []struct {
		name    string
		account string
		body    any
		code    string
	}{
		{"no name", DefaultAccount, thingspace.CallbackListener{URL: "https://x.example/cb"}, "UnifiedWebService." + codeCallbackInvalid},
		{"relative URL", DefaultAccount, thingspace.CallbackListener{Name: thingspace.ServiceDeviceProfile, URL: "/cb"}, "UnifiedWebService." + codeCallbackInvalid},
		{"ftp URL", DefaultAccount, thingspace.CallbackListener{Name: thingspace.ServiceDeviceProfile, URL: "ftp://x.example/cb"}, "UnifiedWebService." + codeCallbackInvalid},
		{"port ThingSpace does not deliver to", DefaultAccount, thingspace.CallbackListener{Name: thingspace.ServiceDeviceProfile, URL: "https://x.example:8443/cb"}, "UnifiedWebService." + codeCallbackInvalid},
		{"unknown account", "nope", thingspace.CallbackListener{Name: thingspace.ServiceDeviceProfile, URL: "https://x.example/cb"}, "DeviceService." + thingspace.CodeAccountNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := f.do(http.MethodPost, thingspace.CallbackListenersPath(c.account), h, c.body).m2mError(t, http.StatusBadRequest)
			if e.ErrorCode != c.code {
				t.Fatalf("error %+v, want %s", e, c.code)
			}
		})
	}
	if resp := f.do(http.MethodPut, thingspace.CallbackListenersPath(DefaultAccount), h, nil); resp.status != http.StatusMethodNotAllowed {
		t.Fatalf("PUT: %d", resp.status)
	}
	if n := f.sim.Count(EndpointCallbacks); n != len(cases)+1 {
		t.Fatalf("Count(callbacks) = %d, want %d", n, len(cases)+1)
	}
}

func TestCallbackListenerPortsAreThingSpaces(t *testing.T) {
	f := newFixture(t, Options{})
	h := f.auth()
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"http://relay.example/cb", true}, {"https://relay.example/cb", true},
		{"http://relay.example:80/cb", true}, {"https://relay.example:443/cb", true},
		{"https://relay.example:9001/cb", true}, {"https://relay.example:9006/cb", true},
		{"https://relay.example:50551/cb", true}, {"https://relay.example:50559/cb", true},
		{"https://relay.example:28200/cb", true}, {"https://relay.example:28220/cb", true},
		{"http://relay.example:443/cb", true},
		{"https://relay.example:80/cb", true},
		{"https://relay.example:8080/cb", false}, {"https://relay.example:9000/cb", false},
		{"https://relay.example:9007/cb", false}, {"https://relay.example:28221/cb", false},
		{"https://relay.example:50560/cb", false},
	} {
		resp := f.do(http.MethodPost, thingspace.CallbackListenersPath(DefaultAccount), h,
			thingspace.CallbackListener{Name: "Svc", URL: c.url})
		if got := resp.status == http.StatusOK; got != c.ok {
			t.Errorf("register %s: %d %s, want accepted=%v", c.url, resp.status, resp.body, c.ok)
		}
		if !c.ok && !strings.Contains(string(resp.body), thingspace.CallbackPortsText()) {
			t.Errorf("refusal of %s does not name the allowed ports: %s", c.url, resp.body)
		}
	}
}

func TestCallbackListenerFaultsByMethod(t *testing.T) {
	f := newFixture(t, Options{})
	h := f.auth()
	f.sim.InjectFault(Fault{Endpoint: EndpointCallbacks, Method: http.MethodPost, Status: http.StatusBadGateway})
	path := thingspace.CallbackListenersPath(DefaultAccount)
	if resp := f.do(http.MethodGet, path, h, nil); resp.status != http.StatusOK {
		t.Fatalf("list while a registration fault waits: %d %s", resp.status, resp.body)
	}
	l := thingspace.CallbackListener{Name: "Svc", URL: "https://relay.example/cb"}
	if resp := f.do(http.MethodPost, path, h, l); resp.status != http.StatusBadGateway {
		t.Fatalf("registration with a fault: %d, want 502", resp.status)
	}
	if resp := f.do(http.MethodPost, path, h, l); resp.status != http.StatusOK {
		t.Fatalf("registration after the fault: %d %s", resp.status, resp.body)
	}
	if got := f.sim.Listeners(); !slices.ContainsFunc(got, func(x Listener) bool { return x.Account == DefaultAccount && x.Name == "Svc" }) {
		t.Fatalf("Listeners() = %+v, want the registered Svc", got)
	}
	f.sim.RemoveListener(DefaultAccount, "Svc")
	if got := f.sim.Listeners(); slices.ContainsFunc(got, func(x Listener) bool { return x.Name == "Svc" }) {
		t.Fatalf("Listeners() after RemoveListener = %+v", got)
	}
	if err := (Fault{Endpoint: EndpointCallbacks, Method: "PATCH"}).Validate(); err == nil {
		t.Error("a fault on a method no endpoint serves was accepted")
	}
}
