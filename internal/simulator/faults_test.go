package simulator

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

func TestFaultRespond(t *testing.T) {
	cases := []struct {
		fault      Fault
		wantBody   string
		wantType   string
		retryAfter string
	}{
		{Fault{Endpoint: EndpointProfileAction, Status: 429, RetryAfter: "1"}, `{"message":"Too Many Requests"}`, "application/json", "1"},
		{Fault{Endpoint: EndpointProfileAction, Status: 429}, `{"message":"Too Many Requests"}`, "application/json", ""},
		{Fault{Endpoint: EndpointProfileAction, Status: 500}, `"errorCode":"UnifiedWebService.REQUEST_FAILED.UnexpectedError"`, "application/json", ""},
		{Fault{Endpoint: EndpointProfileAction, Status: 502}, "<h1>502 Bad Gateway</h1>", "text/html; charset=utf-8", ""},
		{Fault{Endpoint: EndpointProfileAction, Status: 503, RetryAfter: "2"}, `{"message":"Service Unavailable"}`, "application/json", "2"},
		{Fault{Endpoint: EndpointProfileAction, Status: 504}, "<h1>504 Gateway Timeout</h1>", "text/html; charset=utf-8", ""},
		{Fault{Endpoint: EndpointProfileAction, Status: 503, Body: "upstream down"}, "upstream down", "text/html; charset=utf-8", ""},
		{Fault{Endpoint: EndpointProfileAction}, `"errorCode"`, "application/json", ""},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.wantBody, "/", "_"), func(t *testing.T) {
			f := newFixture(t, Options{})
			h := f.auth()
			f.sim.InjectFault(c.fault)
			resp := f.do(http.MethodPost, thingspace.ProfileActionPath(thingspace.ActionEnable), h, profileRequest(eidA))
			wantStatus := c.fault.Status
			if wantStatus == 0 {
				wantStatus = http.StatusInternalServerError
			}
			if resp.status != wantStatus || !strings.Contains(string(resp.body), c.wantBody) ||
				resp.header.Get("Content-Type") != c.wantType || resp.header.Get("Retry-After") != c.retryAfter {
				t.Fatalf("got %d %q (type %q, Retry-After %q)", resp.status, resp.body, resp.header.Get("Content-Type"), resp.header.Get("Retry-After"))
			}
			if n := f.sim.AcceptedActions(thingspace.ActionEnable); n != 0 {
				t.Fatalf("a faulted request was acted on (%d accepted)", n)
			}
			f.action(h, thingspace.ActionEnable, profileRequest(eidA)) // the fault is used up
			if n := f.sim.AcceptedActions(thingspace.ActionEnable); n != 1 {
				t.Fatalf("AcceptedActions = %d, want 1", n)
			}
		})
	}
}

func TestFaultTimesAndOrder(t *testing.T) {
	f := newFixture(t, Options{})
	h := f.auth()
	f.sim.InjectFault(Fault{Endpoint: EndpointDeviceList, Status: 503, Times: 2})
	f.sim.InjectFault(Fault{Endpoint: EndpointDeviceList, Status: 500})
	var got []int
	for range 4 {
		got = append(got, f.do(http.MethodPost, thingspace.PathDeviceList, h, thingspace.DeviceListRequest{AccountName: DefaultAccount}).status)
	}
	if want := []int{503, 503, 500, 200}; !slices.Equal(got, want) {
		t.Fatalf("statuses = %v, want %v", got, want)
	}
	if n := f.sim.Count(EndpointDeviceList); n != 4 {
		t.Fatalf("Count = %d, want 4", n)
	}
}

func TestFaultNarrowedToAnAction(t *testing.T) {
	f := newFixture(t, Options{})
	h := f.auth()
	f.sim.InjectFault(Fault{Endpoint: EndpointProfileAction, Action: thingspace.ActionDisable, Status: 500})
	f.action(h, thingspace.ActionEnable, profileRequest(eidA))
	if resp := f.do(http.MethodPost, thingspace.ProfileActionPath(thingspace.ActionDisable), h, profileRequest(eidA)); resp.status != 500 {
		t.Fatalf("disable answered %d, want the injected 500", resp.status)
	}
}

func TestFaultOnLoginAndToken(t *testing.T) {
	f := newFixture(t, Options{})
	f.sim.InjectFault(Fault{Endpoint: EndpointToken, Status: 503})
	if resp := f.requestToken(); resp.status != 503 {
		t.Fatalf("token answered %d", resp.status)
	}
	bearer := f.token()
	f.sim.InjectFault(Fault{Endpoint: EndpointLogin, Status: 429})
	if resp := f.loginAs(bearer, DefaultUsername, DefaultPassword); resp.status != 429 {
		t.Fatalf("login answered %d", resp.status)
	}
	f.session(bearer)
	if n := f.sim.Count(EndpointLogin); n != 2 {
		t.Fatalf("Count(login) = %d, want 2", n)
	}
}

func TestDropBeforeHandling(t *testing.T) {
	f := newFixture(t, Options{})
	h := f.auth()
	f.sim.InjectFault(Fault{Endpoint: EndpointProfileAction, Mode: FaultDropBeforeHandling})
	if _, err := f.send(http.MethodPost, thingspace.ProfileActionPath(thingspace.ActionEnable), h, profileRequest(eidA)); err == nil {
		t.Fatal("the connection was not dropped")
	}
	f.waitIdle()
	if n := f.sim.AcceptedActions(thingspace.ActionEnable); n != 0 {
		t.Fatalf("AcceptedActions = %d, want 0: nothing may be done", n)
	}
	if d := f.sim.Deliveries(); len(d) != 0 {
		t.Fatalf("callbacks were sent for a dropped request: %+v", d)
	}
	reqs := f.sim.Requests()
	last := reqs[len(reqs)-1]
	if last.Endpoint != EndpointProfileAction || last.Status != 0 || last.RequestID != "" {
		t.Fatalf("log entry = %+v, want the action with status 0 and no requestId", last)
	}
}

func TestDropAfterHandling(t *testing.T) {
	f := newFixture(t, Options{})
	h := f.auth()
	f.sim.InjectFault(Fault{Endpoint: EndpointProfileAction, Mode: FaultDropAfterHandling})
	if _, err := f.send(http.MethodPost, thingspace.ProfileActionPath(thingspace.ActionEnable), h, profileRequest(eidA)); err == nil {
		t.Fatal("the connection was not dropped")
	}
	cb := f.nextCallback()
	if n := f.sim.AcceptedActions(thingspace.ActionEnable); n != 1 {
		t.Fatalf("AcceptedActions = %d, want 1: the action was acted on", n)
	}
	reqs := f.sim.Requests()
	last := reqs[len(reqs)-1]
	if last.Status != 0 || last.RequestID == "" || last.RequestID != cb.cb.RequestID {
		t.Fatalf("log entry = %+v, want status 0 and the requestId of the callback %s", last, cb.cb.RequestID)
	}
}

func TestInjectFaultRefusesNonsense(t *testing.T) {
	sim := New(Options{})
	t.Cleanup(func() { _ = sim.Close() })
	for _, f := range []Fault{
		{Endpoint: "nope"},
		{Endpoint: EndpointLogin, Mode: "explode"},
		{Endpoint: EndpointLogin, Status: 42},
		{Endpoint: EndpointLogin, Action: thingspace.ActionEnable},
		{Endpoint: EndpointProfileAction, Action: "launch"},
		{Endpoint: EndpointLogin, Times: -1},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("InjectFault(%+v) did not panic", f)
				}
			}()
			sim.InjectFault(f)
		}()
	}
}
