package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// faultKind is the disturbance one cycle injects.
type faultKind string

const (
	kindNone                faultKind = "none"
	kindThrottled           faultKind = "enable 429"
	kindThrottledRetryAfter faultKind = "enable 429 + Retry-After"
	kindUnavailable         faultKind = "enable 503"
	kindServerError         faultKind = "enable 500"
	kindBadGateway          faultKind = "enable 502"
	kindGatewayTimeout      faultKind = "enable 504"
	kindDropBefore          faultKind = "enable dropped before handling"
	kindDropAfter           faultKind = "enable dropped after handling"
	kindSessionExpired      faultKind = "session expired mid-apply"
	kindBearerRevoked       faultKind = "bearer revoked mid-apply"
	kindDuplicates          faultKind = "callback duplicates"
	kindPascal              faultKind = "PascalCase callbacks"
	kindAlternate           faultKind = "alternating spellings"
	kindWarnings            faultKind = "warning before success"
	kindDeviceFailure       faultKind = "device failure"
	kindRelayRestart        faultKind = "relay restart mid-wait"
)

// allKinds is every kind a cycle may draw, in the order the report lists them.
var allKinds = []faultKind{
	kindNone, kindThrottled, kindThrottledRetryAfter, kindUnavailable, kindServerError, kindBadGateway,
	kindGatewayTimeout, kindDropBefore, kindDropAfter, kindSessionExpired, kindBearerRevoked, kindDuplicates,
	kindPascal, kindAlternate, kindWarnings, kindDeviceFailure, kindRelayRestart,
}

// enableFaults are the kinds injected as simulator faults on the enable action. Times is set per
// cycle for the retried kinds; the others disturb exactly one request.
var enableFaults = map[faultKind]simulator.Fault{
	kindThrottled:           {Status: http.StatusTooManyRequests},
	kindThrottledRetryAfter: {Status: http.StatusTooManyRequests, RetryAfter: "1"},
	kindUnavailable:         {Status: http.StatusServiceUnavailable},
	kindServerError:         {Status: http.StatusInternalServerError},
	kindBadGateway:          {Status: http.StatusBadGateway},
	kindGatewayTimeout:      {Status: http.StatusGatewayTimeout},
	kindDropBefore:          {Mode: simulator.FaultDropBeforeHandling},
	kindDropAfter:           {Mode: simulator.FaultDropAfterHandling},
}

// retried reports whether the client repeats the request on its own: ThingSpace cannot have
// acted on it, so the apply must succeed.
func (k faultKind) retried() bool {
	return k == kindThrottled || k == kindThrottledRetryAfter || k == kindUnavailable
}

// outcomeUnknown reports whether the fault leaves open whether ThingSpace acted on the enable:
// the client must not send it again, and the apply must fail saying so.
func (k faultKind) outcomeUnknown() bool {
	_, isFault := enableFaults[k]
	return isFault && !k.retried()
}

// failsApply reports whether the kind must fail the apply.
func (k faultKind) failsApply() bool { return k.outcomeUnknown() || k == kindDeviceFailure }

// outcomeUnknownSummary is the summary of the error that names the devices the unknown enable was
// for; the soak finds the resource it belongs to by the EIDs listed under it.
const outcomeUnknownSummary = "Outcome of the enable request unknown"

// expectedDiagnostics is, for every kind that must fail the apply, what the apply's error output
// must say (after unwrapping, see normalizeOutput): what happened and what to do next. "%s"
// stands for the EID of a failed device; such an entry must appear once per failed device.
var expectedDiagnostics = map[faultKind][]string{
	kindServerError:    outcomeUnknownText,
	kindBadGateway:     outcomeUnknownText,
	kindGatewayTimeout: outcomeUnknownText,
	kindDropBefore:     outcomeUnknownText,
	kindDropAfter:      outcomeUnknownText,
	kindDeviceFailure: {
		"Profile enable failed on device %s",
		"The resource is saved as tainted with this requestId, so the next `terraform apply` replaces it",
	},
}

var outcomeUnknownText = []string{
	outcomeUnknownSummary,
	"ThingSpace may or may not have accepted the enable request for these devices",
	"Before applying again, find out whether ThingSpace accepted this one",
}

// expectedErrors is how many errors a failed apply of kind k must report: one per device failure,
// one for the single request whose outcome is unknown.
func expectedErrors(k faultKind, failing []string) int {
	if k == kindDeviceFailure {
		return len(failing)
	}
	return 1
}

// expectedTexts are the substrings a failed apply's output must hold, EIDs filled in.
func expectedTexts(k faultKind, failing []string) []string {
	var out []string
	for _, text := range expectedDiagnostics[k] {
		if !strings.Contains(text, "%s") {
			out = append(out, text)
			continue
		}
		for _, eid := range failing {
			out = append(out, fmt.Sprintf(text, eid))
		}
	}
	return out
}

// device is one device a cycle enables.
type device struct{ EID, ICCID string }

// cyclePlan is everything one cycle does, drawn from the seeded generator so a seed replays it.
type cyclePlan struct {
	number int
	kind   faultKind
	// resources holds each resource's devices.
	resources        [][]device
	disableOnDestroy bool
	// parallelism is 1 where a fault must fall between two resources' enables (session expiry,
	// bearer revocation), else Terraform's default.
	parallelism int
	// faultTimes is how many enable requests a retried fault disturbs.
	faultTimes int
	// failing are the EIDs that answer the enable with a failure.
	failing []string
	// callbackDelay is how long each device takes to answer.
	callbackDelay time.Duration
	// duplicates is how many extra times each callback is sent.
	duplicates int
	// relayDown is how long the relay stays stopped.
	relayDown time.Duration
}

// planCycle draws cycle number n. Devices are numbered from the cycle number, so no device is
// enabled in two cycles and the request log tells the cycles apart.
func planCycle(rng *rand.Rand, n int) cyclePlan {
	p := cyclePlan{
		number:           n,
		kind:             allKinds[rng.IntN(len(allKinds))],
		disableOnDestroy: rng.IntN(2) == 0,
		parallelism:      10,
		callbackDelay:    time.Duration(10+rng.IntN(50)) * time.Millisecond,
	}
	resources := 1 + rng.IntN(3)
	if p.kind == kindSessionExpired || p.kind == kindBearerRevoked {
		// The fault takes effect only for an enable sent after it: at least two resources, one
		// after the other.
		resources, p.parallelism = 2+rng.IntN(2), 1
	}
	serial := n * maxDevicesPerCycle
	for range resources {
		var devices []device
		for range 1 + rng.IntN(2) {
			if serial < (n+1)*maxDevicesPerCycle {
				devices = append(devices, deviceFor(serial))
				serial++
			}
		}
		p.resources = append(p.resources, devices)
	}
	switch p.kind {
	case kindThrottled, kindThrottledRetryAfter, kindUnavailable:
		p.faultTimes = 1 + rng.IntN(2)
	case kindDuplicates, kindAlternate:
		p.duplicates = 1 + rng.IntN(3)
	case kindDeviceFailure:
		all := p.devices()
		for _, i := range rng.Perm(len(all))[:1+rng.IntN(min(2, len(all)))] {
			p.failing = append(p.failing, all[i].EID)
		}
	case kindRelayRestart:
		// The devices answer while the relay is down, so their callbacks wait for it to return.
		p.callbackDelay = time.Duration(300+rng.IntN(500)) * time.Millisecond
		p.relayDown = time.Second + time.Duration(rng.IntN(1000))*time.Millisecond
	}
	return p
}

// maxDevicesPerCycle bounds a cycle's devices: 3 resources of at most 2 devices, capped at 5.
const maxDevicesPerCycle = 5

func (p cyclePlan) devices() []device {
	var all []device
	for _, r := range p.resources {
		all = append(all, r...)
	}
	return all
}

// behavior is how a device answers in this cycle.
func (p cyclePlan) behavior(eid string) simulator.DeviceBehavior {
	b := simulator.DeviceBehavior{Outcome: simulator.OutcomeSuccess, Delay: simulator.Duration(p.callbackDelay),
		Duplicates: p.duplicates}
	switch p.kind {
	case kindPascal:
		b.Spelling = simulator.SpellingPascal
	case kindAlternate:
		b.Spelling = simulator.SpellingAlternate
	case kindWarnings:
		b.Outcome, b.WarningDelay = simulator.OutcomeWarningThenSuccess, simulator.Duration(p.callbackDelay/3)
	case kindDeviceFailure:
		for _, failing := range p.failing {
			if failing == eid {
				b.Outcome = simulator.OutcomeFailure
			}
		}
	}
	return b
}

// fault is the simulator fault the cycle injects on the enable action, if any.
func (p cyclePlan) fault() (simulator.Fault, bool) {
	f, ok := enableFaults[p.kind]
	f.Endpoint, f.Action, f.Times = simulator.EndpointProfileAction, thingspace.ActionEnable, max(p.faultTimes, 1)
	return f, ok
}

// deviceFor is a device with a valid GSMA EID and Luhn ICCID, so plans carry no warnings.
func deviceFor(serial int) device {
	eidBody, iccidBody := fmt.Sprintf("89049032000077%016d", serial), fmt.Sprintf("891480%012d", serial)
	var d device
	for check := 0; check < 100 && d.EID == ""; check++ {
		if candidate := fmt.Sprintf("%s%02d", eidBody, check); thingspace.EIDChecksumOK(candidate) {
			d.EID = candidate
		}
	}
	for check := 0; check < 10 && d.ICCID == ""; check++ {
		if candidate := fmt.Sprintf("%s%d", iccidBody, check); thingspace.ICCIDLuhnOK(candidate) {
			d.ICCID = candidate
		}
	}
	return d
}
