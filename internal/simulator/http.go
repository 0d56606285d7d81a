package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Service names that prefix M2M error codes, as ThingSpace spells them.
const (
	serviceUWS    = "UnifiedWebService"
	serviceDevice = "DeviceService"
)

// Codes the simulator answers that no client acts on, so they live here rather than in package
// thingspace. Their exact spelling is not documented.
const (
	codeContentTypeInvalid = "INPUT_INVALID.ContentType"
	codeBodyInvalid        = "INPUT_INVALID.RequestBody.Invalid"
	codeRequestNotFound    = "REQUEST_FAILED.RequestNotFound"
	codeCallbackInvalid    = "INPUT_INVALID.Callback.Invalid"
)

// maxBodyBytes bounds request bodies; MaxDevicesPerRequest devices fit many times over.
const maxBodyBytes = 4 << 20

// controlPrefix is where the simulator's own controls live, outside the real API.
const controlPrefix = "/_simulator/"

// methods maps the HTTP methods an API route accepts to their handlers.
type methods map[string]http.HandlerFunc

func (s *Simulator) routes() http.Handler {
	mux := http.NewServeMux()
	s.route(mux, thingspace.PathOAuthToken, EndpointToken, methods{http.MethodPost: s.handleToken})
	s.route(mux, thingspace.PathOAuthRevoke, EndpointRevoke, methods{http.MethodPost: s.handleRevoke})
	s.route(mux, thingspace.PathSessionLogin, EndpointLogin, methods{http.MethodPost: s.handleLogin})
	s.route(mux, thingspace.PathSessionLogout, EndpointLogout, methods{http.MethodPost: s.handleLogout})
	s.route(mux, thingspace.PatternProfileAction, EndpointProfileAction, methods{http.MethodPost: s.handleProfileAction})
	s.route(mux, thingspace.PatternCallbackListeners, EndpointCallbacks,
		methods{http.MethodGet: s.handleListListeners, http.MethodPost: s.handleRegisterListener})
	s.route(mux, thingspace.PatternCallbackListener, EndpointCallbacks, methods{http.MethodDelete: s.handleDeleteListener})
	s.route(mux, thingspace.PathDeviceList, EndpointDeviceList, methods{http.MethodPost: s.handleDeviceList})
	s.route(mux, thingspace.PatternRequestStatus, EndpointRequestStatus, methods{http.MethodGet: s.handleRequestStatus})
	s.controlRoutes(mux)
	mux.HandleFunc("/", handleNotFound)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(mux, w, r) })
}

// serve logs every API request (not the controls) and keeps Close waiting for it.
func (s *Simulator) serve(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "the simulator is shutting down"})
		return
	}
	defer s.inflight.Done()
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		mux.ServeHTTP(w, r)
		return
	}
	r = s.startRecord(r)
	sw := &statusWriter{ResponseWriter: w}
	mux.ServeHTTP(sw, r)
	var rec RecordedRequest
	s.annotate(r, func(logged *RecordedRequest) { logged.Status = sw.status; rec = *logged })
	s.log.Info("request", "method", rec.Method, "path", rec.Path, "endpoint", rec.Endpoint, "status", rec.Status, "request_id", rec.RequestID)
}

// route registers an API endpoint. Methods are checked here rather than by ServeMux so that a
// wrong method gets the gateway's envelope and is logged under its endpoint.
func (s *Simulator) route(mux *http.ServeMux, pattern string, e Endpoint, handlers methods) {
	allowed := strings.Join(slices.Sorted(maps.Keys(handlers)), ", ")
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		action := r.PathValue("action")
		s.annotate(r, func(rec *RecordedRequest) { rec.Endpoint, rec.Action = e, action })
		handle, ok := handlers[r.Method]
		if !ok {
			w.Header().Set("Allow", allowed)
			writeGatewayFault(w, http.StatusMethodNotAllowed, "405", "Method Not Allowed", "Method not allowed for given API resource")
			return
		}
		if e == EndpointProfileAction && !thingspace.ProfileAction(action).Valid() {
			handleNotFound(w, r)
			return
		}
		if f, ok := s.takeFault(e, r.Method, action); ok {
			s.applyFault(w, r, f, handle)
			return
		}
		handle(w, r)
	})
}

// handleNotFound answers a path the API does not have, as ThingSpace's gateway does.
func handleNotFound(w http.ResponseWriter, _ *http.Request) {
	writeGatewayFault(w, http.StatusNotFound, "404", "Not Found", "No matching resource found for given API Request")
}

// statusWriter remembers the status answered; it stays 0 when the connection is dropped.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection, to drop it.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "simulator: cannot encode the answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeM2MError answers with the M2M envelope; code is given without its service prefix.
func writeM2MError(w http.ResponseWriter, status int, service, code, message string) {
	writeJSON(w, status, thingspace.M2MError{ErrorCode: service + "." + code, ErrorMessage: message})
}

func writeGatewayFault(w http.ResponseWriter, status int, code, message, description string) {
	var f thingspace.GatewayFault
	f.Fault.Code, f.Fault.Message, f.Fault.Description = code, message, description
	writeJSON(w, status, f)
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, thingspace.OAuthError{Error: code, ErrorDescription: description})
}

// readJSON decodes an M2M request body as strictly as ThingSpace does (JSON content type, one
// JSON value; unknown fields are fine) and answers the request itself when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, service string, v any) bool {
	if !hasMediaType(r, "application/json") {
		writeM2MError(w, http.StatusUnsupportedMediaType, service, codeContentTypeInvalid,
			"Content-Type must be application/json")
		return false
	}
	if err := decodeJSON(http.MaxBytesReader(nil, r.Body, maxBodyBytes), v, false); err != nil {
		writeM2MError(w, http.StatusBadRequest, service, codeBodyInvalid, "The request body is not valid: "+err.Error())
		return false
	}
	return true
}

// decodeJSON reads exactly one JSON value, optionally refusing fields v does not have.
func decodeJSON(body io.Reader, v any, strict bool) error {
	dec := json.NewDecoder(body)
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return err
	}
	if err := dec.Decode(&json.RawMessage{}); !errors.Is(err, io.EOF) {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}

func hasMediaType(r *http.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && strings.EqualFold(mt, want)
}
