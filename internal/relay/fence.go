package relay

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Fencing the callback endpoint.
//
// Only ThingSpace should ever POST /callbacks, and Verizon publishes the addresses it calls from:
// with --callback-allow-cidr, callbacks from anywhere else are refused before their body is read.
// Behind a reverse proxy the peer is the proxy, so the sender's address is taken from
// X-Forwarded-For, but only when the peer is a proxy listed in --trusted-proxy-cidr: anyone else
// could write any address there. Each trusted proxy appends the address it received from, so
// the sender is the right-most address that is not itself a trusted proxy.
//
// Separately, a source that keeps sending wrong listener credentials is throttled (see
// throttle.go), so the callback password cannot be guessed at the speed of the network.

// Reasons of callbacks_refused_total.
const (
	refusedCredentials      = "credentials"
	refusedSourceNotAllowed = "source_not_allowed"
	refusedThrottled        = "throttled"
)

// Flags naming the fence's settings, for messages.
const (
	flagCallbackAllowCIDR = "--callback-allow-cidr (THINGSPACE_RELAY_CALLBACK_ALLOW_CIDR)"
	flagTrustedProxyCIDR  = "--trusted-proxy-cidr (THINGSPACE_RELAY_TRUSTED_PROXY_CIDR)"
)

// sourceFence decides where a callback comes from and whether that source may send one.
type sourceFence struct {
	allow   []netip.Prefix // empty: every source may
	trusted []netip.Prefix // proxies whose X-Forwarded-For is believed
}

func newSourceFence(allow, trusted []string) (sourceFence, error) {
	var f sourceFence
	var err error
	if f.allow, err = parsePrefixes(allow, flagCallbackAllowCIDR); err != nil {
		return f, err
	}
	f.trusted, err = parsePrefixes(trusted, flagTrustedProxyCIDR)
	return f, err
}

// parsePrefixes reads CIDRs; a bare address stands for itself alone.
func parsePrefixes(values []string, flag string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(values))
	for _, v := range values {
		v = strings.TrimSpace(v)
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is neither a CIDR such as 192.0.2.0/24 or 2001:db8::/32 nor an IP address", flag, v)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func contains(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// source is the address a request comes from: the peer, or for a trusted proxy the right-most
// untrusted X-Forwarded-For address (the left-most one if every hop is trusted). It is the zero
// Addr when a trusted proxy forwarded something that is not an address.
func (f sourceFence) source(r *http.Request) netip.Addr {
	peer := parseHostAddr(r.RemoteAddr)
	if !peer.IsValid() || !contains(f.trusted, peer) {
		return peer
	}
	var hops []string
	for _, header := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(header, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		client = parseHostAddr(strings.TrimSpace(hops[i]))
		if !client.IsValid() || !contains(f.trusted, client) {
			return client
		}
	}
	return client
}

// parseHostAddr reads "addr", "addr:port" or "[addr]:port", or returns the zero Addr.
func parseHostAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}

func (f sourceFence) allows(source netip.Addr) bool {
	return len(f.allow) == 0 || (source.IsValid() && contains(f.allow, source))
}

// describeSource prints a source for messages and logs.
func describeSource(source netip.Addr) string {
	if !source.IsValid() {
		return "an unreadable X-Forwarded-For address"
	}
	return source.String()
}

// admitCallback refuses a callback from a source that is not allowed (403) or is throttled for
// wrong credentials (429), before its body is read, and reports whether to go on.
func (s *Server) admitCallback(w http.ResponseWriter, r *http.Request) (source netip.Addr, ok bool) {
	source = s.fence.source(r)
	if !s.fence.allows(source) {
		s.metrics.callbacksRefused.WithLabelValues(refusedSourceNotAllowed).Inc()
		s.log.Debug("callback refused: source not allowed", "source", describeSource(source), "remote", r.RemoteAddr)
		writeError(w, http.StatusForbidden, fmt.Sprintf("callbacks from %s are not allowed: the source is not in the relay's %s", describeSource(source), flagCallbackAllowCIDR))
		return source, false
	}
	if wait, throttled := s.throttle.blocked(source); throttled {
		s.metrics.callbacksRefused.WithLabelValues(refusedThrottled).Inc()
		s.log.Debug("callback refused: source throttled", "source", describeSource(source), "retry_after", wait.String())
		seconds := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(seconds))
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many callbacks with wrong credentials from %s: retry in %d seconds", describeSource(source), seconds))
		return source, false
	}
	return source, true
}

// refuseCallbackCredentials answers 401 to a callback whose listener credentials are wrong, and
// counts the failure against its source.
func (s *Server) refuseCallbackCredentials(w http.ResponseWriter, r *http.Request, source netip.Addr) {
	s.metrics.authFailures.WithLabelValues(endpointIngest).Inc()
	s.metrics.callbacksRefused.WithLabelValues(refusedCredentials).Inc()
	s.log.Warn("callback refused: wrong listener credentials", "source", describeSource(source), "remote", r.RemoteAddr)
	if s.throttle.fail(source) {
		s.log.Warn("callbacks throttled: too many wrong credentials from one source", "source", describeSource(source),
			"failures", s.throttle.limit, "for", s.throttle.window.String())
	}
	writeError(w, http.StatusUnauthorized, "the username and password in the callback body do not match the relay's callback credentials")
}
