package acctest

import (
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// CallbacksOnAllowedPort forwards a loopback port ThingSpace delivers callbacks to (see
// thingspace.CallbackPortRanges) to the relay, and returns the relay's callbacks URL on that
// port. The relay listens on a free port, which a listener registration through Terraform or
// the API is refused; this is the reverse proxy a deployment would put in front of it. The
// port is held from the moment it is found, so parallel tests never share one.
func (r *Relay) CallbacksOnAllowedPort(t testing.TB) string {
	t.Helper()
	l, err := listenOnCallbackPort()
	if err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(r.URL())
	if err != nil {
		t.Fatal(err)
	}
	server := &http.Server{Handler: httputil.NewSingleHostReverseProxy(target)}
	go func() { _ = server.Serve(l) }()
	t.Cleanup(func() { _ = server.Close() })
	return "http://" + l.Addr().String() + "/callbacks"
}

// listenOnCallbackPort listens on the first free loopback port ThingSpace delivers to, above
// the privileged ones.
func listenOnCallbackPort() (net.Listener, error) {
	for _, r := range thingspace.CallbackPortRanges() {
		for port := max(r.First, 1024); port <= r.Last; port++ {
			if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
				return l, nil
			}
		}
	}
	return nil, errors.New("every loopback port ThingSpace delivers callbacks to (" + thingspace.CallbackPortsText() + ") is taken")
}
