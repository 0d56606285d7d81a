package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Duration is a time.Duration that reads and writes JSON as Go duration text ("2s", "150ms"),
// so scenario files and control requests stay readable by people.
type Duration time.Duration

// MarshalJSON writes the duration as text, e.g. "2s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads duration text such as "2s"; a bare number is refused because its unit
// would be a guess.
func (d *Duration) UnmarshalJSON(data []byte) error {
	var text string
	if err := json.Unmarshal(data, &text); err != nil {
		return fmt.Errorf("a duration must be a string such as \"2s\" or \"150ms\", got %s", data)
	}
	parsed, err := time.ParseDuration(text)
	if err != nil {
		return fmt.Errorf("invalid duration %q: use Go duration text such as \"2s\" or \"150ms\"", text)
	}
	if parsed < 0 {
		return fmt.Errorf("invalid duration %q: it must not be negative", text)
	}
	*d = Duration(parsed)
	return nil
}

// Outcome is what a device reports, through callbacks, after a profile action.
type Outcome string

// The outcomes a test can choose for a device. The empty Outcome means OutcomeSuccess.
const (
	// OutcomeSuccess sends one success callback after the device's Delay.
	OutcomeSuccess Outcome = "success"
	// OutcomeFailure sends one failure callback (status "Failed", faultResponse) after Delay.
	OutcomeFailure Outcome = "failure"
	// OutcomeWarningThenSuccess sends a warning after WarningDelay, then success after Delay,
	// as ThingSpace does when the device is slow to answer.
	OutcomeWarningThenSuccess Outcome = "warning_then_success"
	// OutcomeWarningThenFailure sends a warning after WarningDelay, then a failure after Delay.
	OutcomeWarningThenFailure Outcome = "warning_then_failure"
	// OutcomeSilence sends nothing at all: the device never answers.
	OutcomeSilence Outcome = "silence"
)

// Outcomes lists every outcome, for help texts and validation.
func Outcomes() []Outcome {
	return []Outcome{OutcomeSuccess, OutcomeFailure, OutcomeWarningThenSuccess, OutcomeWarningThenFailure, OutcomeSilence}
}

func (o Outcome) valid() bool { return o == "" || slices.Contains(Outcomes(), o) }

func (o Outcome) warns() bool {
	return o == OutcomeWarningThenSuccess || o == OutcomeWarningThenFailure
}

func (o Outcome) fails() bool { return o == OutcomeFailure || o == OutcomeWarningThenFailure }

// DeviceBehavior says how a device answers profile actions. Both delays count from the moment
// the action was accepted, so a warning may be scheduled after the final callback (a late
// warning the client must not take for progress).
type DeviceBehavior struct {
	Outcome Outcome `json:"outcome,omitempty"`
	// Delay is the time before the final callback.
	Delay Duration `json:"delay,omitempty"`
	// WarningDelay is the time before the warning, for the warning_then_* outcomes.
	WarningDelay Duration `json:"warningDelay,omitempty"`
	// FailureCode is the failure callback's fault code; without a service prefix
	// ("REQUEST_FAILED.X") it gets "DeviceService.". "" = REQUEST_FAILED.UnexpectedError.
	FailureCode    string `json:"failureCode,omitempty"`
	FailureMessage string `json:"failureMessage,omitempty"`
	// Duplicates sends each callback this many extra times after it was acknowledged, as
	// ThingSpace may: listeners must be idempotent.
	Duplicates int `json:"duplicates,omitempty"`
	// BeforeResponse delivers the callbacks (first attempts, without waiting for the delays)
	// before the action's HTTP response is written, so a client sees the final callback before
	// it has read the requestId.
	BeforeResponse bool `json:"beforeResponse,omitempty"`
	// Spelling chooses how the callbacks spell their field names: "" or SpellingCamel as the
	// enable page shows them (`requestId`, `deviceIds[{kind, id}]`), SpellingPascal as the eUICC
	// callback pages do (`RequestId`, `Device[{Kind, Identifier}]`). Redeliveries alternate
	// between the two when SpellingAlternate is chosen, so receivers must treat them as one.
	Spelling Spelling `json:"spelling,omitempty"`
}

// Spelling is how a callback spells its field names.
type Spelling string

// The spellings ThingSpace's pages show.
const (
	SpellingCamel     Spelling = "camel"
	SpellingPascal    Spelling = "pascal"
	SpellingAlternate Spelling = "alternate"
)

// Validate reports a behaviour the simulator cannot act out.
func (b DeviceBehavior) Validate() error {
	var errs []error
	if !b.Outcome.valid() {
		errs = append(errs, fmt.Errorf("unknown outcome %q: use one of %v", b.Outcome, Outcomes()))
	}
	if b.Delay < 0 || b.WarningDelay < 0 {
		errs = append(errs, errors.New("delays must not be negative"))
	}
	if b.Duplicates < 0 {
		errs = append(errs, errors.New("duplicates must not be negative"))
	}
	switch b.Spelling {
	case "", SpellingCamel, SpellingPascal, SpellingAlternate:
	default:
		errs = append(errs, fmt.Errorf("unknown spelling %q: use %q, %q or %q", b.Spelling, SpellingCamel, SpellingPascal, SpellingAlternate))
	}
	return errors.Join(errs...)
}

// outcome returns the outcome with the empty value resolved.
func (b DeviceBehavior) outcome() Outcome {
	if b.Outcome == "" {
		return OutcomeSuccess
	}
	return b.Outcome
}
