package simulator

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// RegisterListener registers a callback listener directly, for tests that do not want to go
// through the API. Registering again for the same account and service replaces it.
func (s *Simulator) RegisterListener(account string, l thingspace.CallbackListener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.setListener(account, l)
}

// Listeners returns every registered listener, ordered by account and service, so tests can
// see what a registration stored, credentials included.
func (s *Simulator) Listeners() []Listener {
	s.mu.Lock()
	var out []Listener
	for account, byService := range s.state.listeners {
		for _, l := range byService {
			out = append(out, Listener{Account: account, CallbackListener: l})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Listener) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// RemoveListener removes a listener directly, for tests that change ThingSpace behind the
// provider's back.
func (s *Simulator) RemoveListener(account, service string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.state.listeners[account], service)
}

// listener returns the listener registered for an account's service. Callers hold s.mu.
func (st *state) listener(account, service string) (thingspace.CallbackListener, bool) {
	l, ok := st.listeners[account][service]
	return l, ok
}

func (s *Simulator) handleRegisterListener(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r) {
		return
	}
	var l thingspace.CallbackListener
	if !readJSON(w, r, serviceUWS, &l) {
		return
	}
	account := r.PathValue("accountName")
	msg := listenerProblem(l)
	if msg == "" {
		msg = listenerPortProblem(l)
	}
	if msg != "" {
		writeM2MError(w, http.StatusBadRequest, serviceUWS, codeCallbackInvalid, msg)
		return
	}
	if !s.accountExists(w, account) {
		return
	}
	s.RegisterListener(account, l)
	s.log.Info("callback listener registered", "account", account, "service", l.Name)
	writeJSON(w, http.StatusOK, thingspace.CallbackListenerResponse{AccountName: account, ServiceName: l.Name})
}

// listenerProblem says what is wrong with a registration, or "". It is also the check of the
// listeners a scenario or a test registers directly; see listenerPortProblem for the one the
// API adds.
func listenerProblem(l thingspace.CallbackListener) string {
	if l.Name == "" {
		return "name is required: the callback service, e.g. " + thingspace.ServiceDeviceProfile + "."
	}
	u, err := url.Parse(l.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "url must be an absolute http or https URL."
	}
	return ""
}

// listenerPortProblem refuses, as ThingSpace does, a URL on a port it does not deliver to. Only
// registrations through the API are checked: listeners that tests and scenarios register
// directly run on free loopback ports.
func listenerPortProblem(l thingspace.CallbackListener) string {
	u, err := url.Parse(l.URL)
	if err != nil {
		return "url must be an absolute http or https URL."
	}
	if err := thingspace.CheckCallbackPort(u); err != nil {
		return err.Error() + "."
	}
	return ""
}

func (s *Simulator) handleListListeners(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r) {
		return
	}
	account := r.PathValue("accountName")
	if !s.accountExists(w, account) {
		return
	}
	s.mu.Lock()
	list := []thingspace.RegisteredListener{}
	for _, l := range s.state.listeners[account] {
		list = append(list, thingspace.RegisteredListener{AccountName: account, ServiceName: l.Name, URL: l.URL,
			Username: l.Username, Password: l.Password})
	}
	s.mu.Unlock()
	slices.SortFunc(list, func(a, b thingspace.RegisteredListener) int { return cmp.Compare(a.ServiceName, b.ServiceName) })
	writeJSON(w, http.StatusOK, list)
}

// handleDeleteListener removes a listener; removing one that is not registered succeeds too,
// so that a retried deletion is harmless.
func (s *Simulator) handleDeleteListener(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r) {
		return
	}
	account, service := r.PathValue("accountName"), r.PathValue("serviceName")
	if !s.accountExists(w, account) {
		return
	}
	s.mu.Lock()
	delete(s.state.listeners[account], service)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, thingspace.CallbackListenerResponse{AccountName: account, ServiceName: service})
}

// accountExists answers AccountNotFound itself when the account does not exist.
func (s *Simulator) accountExists(w http.ResponseWriter, account string) bool {
	s.mu.Lock()
	ok := s.state.accounts[account]
	s.mu.Unlock()
	if !ok {
		writeM2MError(w, http.StatusBadRequest, serviceDevice, thingspace.CodeAccountNotFound, "Account "+account+" does not exist.")
	}
	return ok
}
