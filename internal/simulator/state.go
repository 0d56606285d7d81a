package simulator

import (
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// state is everything the simulator remembers between requests and forgets on Reset. It is
// guarded by Simulator.mu.
type state struct {
	accounts map[string]bool

	bearers       map[string]time.Time // bearer -> expiry
	currentBearer string               // returned again while it lives
	sessions      map[string]*session
	failedLogins  map[string]int // username -> consecutive failures

	listeners map[string]map[string]thingspace.CallbackListener // account -> service -> listener

	devices   map[string]*device // by EID
	deviceSeq int64              // numeric device id, for device-list paging
	behaviors map[string]DeviceBehavior

	requests map[string]*actionRequest // by requestId

	faults     []*pendingFault
	log        []*RecordedRequest
	deliveries []Delivery
}

// session is one M2M session. Expired sessions are kept so that they answer "Expired", as
// ThingSpace does, rather than "Invalid".
type session struct {
	lastUsed time.Time
	expired  bool
}

func newState(opts Options) *state {
	st := &state{
		accounts:     make(map[string]bool),
		bearers:      make(map[string]time.Time),
		sessions:     make(map[string]*session),
		failedLogins: make(map[string]int),
		listeners:    make(map[string]map[string]thingspace.CallbackListener),
		devices:      make(map[string]*device),
		behaviors:    make(map[string]DeviceBehavior),
		requests:     make(map[string]*actionRequest),
	}
	for _, a := range opts.Accounts {
		st.accounts[a] = true
	}
	for eid, b := range opts.Devices {
		st.behaviors[eid] = b
	}
	for _, f := range opts.Faults {
		st.addFault(f)
	}
	for _, l := range opts.Listeners {
		st.setListener(l.Account, l.CallbackListener)
	}
	// The source document's device exists from the start, in the source document's account, so
	// its example works against the simulator exactly as written.
	st.addDevice(sourceDocumentEID, sourceDocumentICCID, SourceDocumentAccount, opts.Now())
	st.addFleets(opts.Fleets, opts.Now())
	return st
}

func (st *state) setListener(account string, l thingspace.CallbackListener) {
	if st.listeners[account] == nil {
		st.listeners[account] = make(map[string]thingspace.CallbackListener)
	}
	st.listeners[account][l.Name] = l
}
