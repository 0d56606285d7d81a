package simulator

import (
	"net/http"
)

// controlRoutes registers the simulator's own controls, for the standalone binary (in-process
// tests call the methods directly). They are plain JSON, unauthenticated, and not logged as API
// requests.
func (s *Simulator) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+controlPrefix+"devices/{eid}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Device(r.PathValue("eid")))
	})
	mux.HandleFunc("PUT "+controlPrefix+"devices/{eid}", s.controlSetDevice)
	mux.HandleFunc("POST "+controlPrefix+"faults", s.controlInjectFault)
	mux.HandleFunc("POST "+controlPrefix+"expire-sessions", s.control(s.ExpireSessions))
	mux.HandleFunc("POST "+controlPrefix+"revoke-bearers", s.control(s.RevokeBearers))
	mux.HandleFunc("POST "+controlPrefix+"reset", s.control(s.Reset))
	mux.HandleFunc("GET "+controlPrefix+"requests", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Requests())
	})
	mux.HandleFunc("GET "+controlPrefix+"deliveries", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Deliveries())
	})
	mux.HandleFunc(controlPrefix, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no control " + r.Method + " " + r.URL.Path +
			"; the controls are listed in the thingspace-simulator --help text"})
	})
}

// control answers 204 after running an action that takes no input.
func (s *Simulator) control(action func()) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		action()
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Simulator) controlSetDevice(w http.ResponseWriter, r *http.Request) {
	var b DeviceBehavior
	if !readControl(w, r, &b, DeviceBehavior.Validate) {
		return
	}
	eid := r.PathValue("eid")
	s.SetDevice(eid, b)
	writeJSON(w, http.StatusOK, s.Device(eid))
}

func (s *Simulator) controlInjectFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if !readControl(w, r, &f, Fault.Validate) {
		return
	}
	s.InjectFault(f)
	w.WriteHeader(http.StatusNoContent)
}

// readControl decodes a control body strictly (unknown keys are mistakes) and validates it,
// answering 400 with the reason when either fails.
func readControl[T any](w http.ResponseWriter, r *http.Request, v *T, validate func(T) error) bool {
	err := decodeJSON(http.MaxBytesReader(nil, r.Body, maxBodyBytes), v, true)
	if err == nil {
		err = validate(*v)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return false
	}
	return true
}
