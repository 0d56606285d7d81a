package simulator

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Endpoint names one API endpoint, for faults and the request log.
type Endpoint string

// The API's endpoints.
const (
	EndpointToken         Endpoint = "token"
	EndpointRevoke        Endpoint = "revoke"
	EndpointLogin         Endpoint = "login"
	EndpointLogout        Endpoint = "logout"
	EndpointProfileAction Endpoint = "profile_action"
	EndpointCallbacks     Endpoint = "callbacks"
	EndpointDeviceList    Endpoint = "device_list"
	EndpointRequestStatus Endpoint = "request_status"
)

// Endpoints lists every endpoint, for help texts and validation.
func Endpoints() []Endpoint {
	return []Endpoint{EndpointToken, EndpointRevoke, EndpointLogin, EndpointLogout, EndpointProfileAction,
		EndpointCallbacks, EndpointDeviceList, EndpointRequestStatus}
}

// FaultMode is how an injected fault disturbs a request.
type FaultMode string

// The fault modes. The empty FaultMode means FaultRespond.
const (
	// FaultRespond answers with Fault.Status (and Body, Retry-After) without handling the
	// request: nothing was done.
	FaultRespond FaultMode = "respond"
	// FaultDropBeforeHandling closes the connection without answering or acting.
	FaultDropBeforeHandling FaultMode = "drop_before_handling"
	// FaultDropAfterHandling handles the request (a profile action IS accepted and its
	// callbacks scheduled), then closes the connection without answering.
	FaultDropAfterHandling FaultMode = "drop_after_handling"
)

// Fault disturbs the next Times requests of an endpoint, in the order faults were injected.
type Fault struct {
	Endpoint Endpoint `json:"endpoint"`
	// Action narrows a profile_action fault to one action; "" matches them all.
	Action thingspace.ProfileAction `json:"action,omitempty"`
	// Method narrows a fault to one HTTP method, for endpoints that serve several operations
	// (callbacks: POST registers, GET lists, DELETE removes); "" matches them all.
	Method string `json:"method,omitempty"`
	// Status is the HTTP status for FaultRespond; 0 = 500.
	Status int `json:"status,omitempty"`
	// RetryAfter is sent as the Retry-After header when not empty ("1", or an HTTP date).
	RetryAfter string `json:"retryAfter,omitempty"`
	// Body replaces the body ThingSpace or its gateway sends with that status.
	Body string    `json:"body,omitempty"`
	Mode FaultMode `json:"mode,omitempty"`
	// Times is how many requests the fault disturbs; 0 = 1.
	Times int `json:"times,omitempty"`
}

// Validate reports a fault the simulator cannot inject.
func (f Fault) Validate() error {
	var errs []error
	if !slices.Contains(Endpoints(), f.Endpoint) {
		errs = append(errs, fmt.Errorf("unknown endpoint %q: use one of %v", f.Endpoint, Endpoints()))
	}
	if f.Action != "" && (f.Endpoint != EndpointProfileAction || !f.Action.Valid()) {
		errs = append(errs, fmt.Errorf("action %q: only a known profile action of endpoint %q can be named", f.Action, EndpointProfileAction))
	}
	switch f.Method {
	case "", http.MethodGet, http.MethodPost, http.MethodDelete:
	default:
		errs = append(errs, fmt.Errorf("method %q: use %q, %q or %q, or none for every method", f.Method,
			http.MethodGet, http.MethodPost, http.MethodDelete))
	}
	switch f.Mode {
	case "", FaultRespond, FaultDropBeforeHandling, FaultDropAfterHandling:
	default:
		errs = append(errs, fmt.Errorf("unknown mode %q: use %q, %q or %q", f.Mode, FaultRespond, FaultDropBeforeHandling, FaultDropAfterHandling))
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		errs = append(errs, fmt.Errorf("status %d is not an HTTP status", f.Status))
	}
	if f.Times < 0 {
		errs = append(errs, errors.New("times must not be negative"))
	}
	return errors.Join(errs...)
}

// pendingFault is an injected fault with the requests it still has to disturb.
type pendingFault struct {
	Fault
	left int
}

// InjectFault disturbs the next f.Times requests of f.Endpoint. It panics on a fault that
// Validate refuses, since that is a mistake in the test itself.
func (s *Simulator) InjectFault(f Fault) {
	if err := f.Validate(); err != nil {
		panic("simulator: InjectFault: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.addFault(f)
}

func (st *state) addFault(f Fault) {
	left := f.Times
	if left == 0 {
		left = 1
	}
	st.faults = append(st.faults, &pendingFault{Fault: f, left: left})
}

// takeFault consumes one use of the first fault matching the request, if any.
func (s *Simulator) takeFault(e Endpoint, method, action string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.state.faults {
		if f.Endpoint != e || (f.Action != "" && string(f.Action) != action) || (f.Method != "" && f.Method != method) {
			continue
		}
		f.left--
		if f.left == 0 {
			s.state.faults = slices.Delete(s.state.faults, i, i+1)
		}
		return f.Fault, true
	}
	return Fault{}, false
}

// applyFault disturbs one request as f says.
func (s *Simulator) applyFault(w http.ResponseWriter, r *http.Request, f Fault, handle http.HandlerFunc) {
	s.log.Info("injecting fault", "endpoint", f.Endpoint, "mode", f.Mode, "status", f.Status, "path", r.URL.Path)
	switch f.Mode {
	case FaultDropBeforeHandling:
		dropConnection(w)
	case FaultDropAfterHandling:
		handle(&discardWriter{header: http.Header{}}, r)
		dropConnection(w)
	default:
		writeFaultResponse(w, f)
	}
}

func writeFaultResponse(w http.ResponseWriter, f Fault) {
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	body := f.Body
	if body == "" {
		body = faultBody(status)
	}
	contentType := "text/html; charset=utf-8"
	if t := strings.TrimSpace(body); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		contentType = "application/json"
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// faultBody is what ThingSpace, its API gateway or a proxy in front of it sends with a status.
func faultBody(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return `{"message":"Too Many Requests"}`
	case http.StatusInternalServerError:
		return `{"errorCode":"UnifiedWebService.` + thingspace.CodeUnexpectedError + `","errorMessage":"An unexpected error occurred."}`
	case http.StatusUnauthorized:
		return `{"fault":{"code":"` + thingspace.FaultInvalidCredentials + `","message":"Invalid Credentials","description":"Invalid Credentials. Make sure you have given the correct access token"}}`
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		text := strconv.Itoa(status) + " " + http.StatusText(status)
		return "<html><head><title>" + text + "</title></head><body><center><h1>" + text + "</h1></center></body></html>\n"
	default:
		return `{"message":"` + http.StatusText(status) + `"}`
	}
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 or a test recorder cannot be hijacked; aborting the handler is the nearest
		// thing, and net/http turns it into a reset stream or closed connection.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// discardWriter takes the answer of a request whose connection is about to be dropped.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
