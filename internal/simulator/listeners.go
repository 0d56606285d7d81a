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
	if msg := listenerProblem(l); msg != "" {
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

// listenerProblem says what is wrong with a registration, or "". ThingSpace also restricts
// listener ports; the simulator does not, since test listeners use free ports.
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
		list = append(list, thingspace.RegisteredListener{AccountName: account, Name: l.Name, URL: l.URL})
	}
	s.mu.Unlock()
	slices.SortFunc(list, func(a, b thingspace.RegisteredListener) int { return cmp.Compare(a.Name, b.Name) })
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
