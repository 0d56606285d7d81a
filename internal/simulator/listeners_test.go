package simulator

import (
	"net/http"
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
	for _, url := range []string{"https://relay.example/one", f.listenerURL} { // registering again replaces
		resp := f.do(http.MethodPost, path, h, thingspace.CallbackListener{
			Name: thingspace.ServiceDeviceProfile, URL: url, Username: "u2", Password: "p2",
		})
		var ack thingspace.CallbackListenerResponse
		resp.json(t, &ack)
		if resp.status != http.StatusOK || ack != (thingspace.CallbackListenerResponse{AccountName: TestAccount, ServiceName: thingspace.ServiceDeviceProfile}) {
			t.Fatalf("register: %d %s", resp.status, resp.body)
		}
	}
	if got := list(); len(got) != 1 || got[0].URL != f.listenerURL || got[0].AccountName != TestAccount || got[0].Name != thingspace.ServiceDeviceProfile {
		t.Fatalf("list = %+v", got)
	}

	// Callbacks go to the listener registered now, with its credentials.
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
