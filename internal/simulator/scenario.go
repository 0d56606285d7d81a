package simulator

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Scenario is the JSON file that configures the standalone simulator (--scenario). Every key is
// optional; an absent key keeps the default Options gives it. Unknown keys are refused, so a typo
// cannot silently leave a setting at its default.
type Scenario struct {
	ClientID     string   `json:"clientId,omitempty"`
	ClientSecret string   `json:"clientSecret,omitempty"`
	Username     string   `json:"username,omitempty"`
	Password     string   `json:"password,omitempty"`
	Accounts     []string `json:"accounts,omitempty"`

	BearerLifetime     Duration `json:"bearerLifetime,omitempty"`
	SessionIdleTimeout Duration `json:"sessionIdleTimeout,omitempty"`

	MaxDevicesPerRequest    int      `json:"maxDevicesPerRequest,omitempty"`
	DeviceListPageSize      int      `json:"deviceListPageSize,omitempty"`
	MaxCallbackThreshold    int      `json:"maxCallbackThreshold,omitempty"`
	CallbackRetryInterval   Duration `json:"callbackRetryInterval,omitempty"`
	MaxConcurrentDeliveries int      `json:"maxConcurrentDeliveries,omitempty"`
	DeliveryTimeout         Duration `json:"deliveryTimeout,omitempty"`

	DefaultBehavior *DeviceBehavior           `json:"defaultBehavior,omitempty"`
	Devices         map[string]DeviceBehavior `json:"devices,omitempty"`
	Faults          []Fault                   `json:"faults,omitempty"`
	Listeners       []Listener                `json:"listeners,omitempty"`
	Fleets          []Fleet                   `json:"fleet,omitempty"`
}

// LoadScenario reads a scenario file and returns the Options it describes.
func LoadScenario(path string) (Options, error) {
	f, err := os.Open(path)
	if err != nil {
		return Options{}, fmt.Errorf("scenario: %w", err)
	}
	defer f.Close()
	sc, err := ParseScenario(f)
	if err != nil {
		return Options{}, fmt.Errorf("scenario %s: %w", path, err)
	}
	return sc.Options(), nil
}

// ParseScenario decodes and validates a scenario.
func ParseScenario(r io.Reader) (Scenario, error) {
	var sc Scenario
	if err := decodeJSON(r, &sc, true); err != nil {
		return Scenario{}, fmt.Errorf("not a valid scenario: %w", err)
	}
	if err := sc.Validate(); err != nil {
		return Scenario{}, err
	}
	return sc, nil
}

// Validate reports every setting the simulator cannot use.
func (sc Scenario) Validate() error {
	var errs []error
	for _, n := range []struct {
		name  string
		value int
	}{{"maxDevicesPerRequest", sc.MaxDevicesPerRequest}, {"deviceListPageSize", sc.DeviceListPageSize},
		{"maxCallbackThreshold", sc.MaxCallbackThreshold}, {"maxConcurrentDeliveries", sc.MaxConcurrentDeliveries}} {
		if n.value < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative", n.name))
		}
	}
	for _, a := range sc.Accounts {
		if a == "" {
			errs = append(errs, errors.New("accounts: an account name must not be empty"))
		}
	}
	if sc.DefaultBehavior != nil {
		errs = append(errs, prefixed("defaultBehavior", sc.DefaultBehavior.Validate()))
	}
	for eid, b := range sc.Devices {
		errs = append(errs, prefixed("devices["+eid+"]", errors.Join(checkIdentifier("eid", eid, thingspace.MaxEIDDigits), b.Validate())))
	}
	for i, f := range sc.Faults {
		errs = append(errs, prefixed(fmt.Sprintf("faults[%d]", i), f.Validate()))
	}
	for i, l := range sc.Listeners {
		if l.Account == "" {
			errs = append(errs, fmt.Errorf("listeners[%d]: account is required", i))
		}
		if msg := listenerProblem(l.CallbackListener); msg != "" {
			errs = append(errs, fmt.Errorf("listeners[%d]: %s", i, msg))
		}
	}
	accounts := sc.Accounts
	if len(accounts) == 0 {
		accounts = DefaultAccounts()
	}
	for i, f := range sc.Fleets {
		errs = append(errs, prefixed(fmt.Sprintf("fleet[%d]", i), f.Validate(accounts)))
	}
	return errors.Join(errs...)
}

func prefixed(where string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", where, err)
}

// Options returns the simulator Options the scenario describes.
func (sc Scenario) Options() Options {
	o := Options{
		ClientID: sc.ClientID, ClientSecret: sc.ClientSecret, Username: sc.Username, Password: sc.Password,
		Accounts:                sc.Accounts,
		BearerLifetime:          time.Duration(sc.BearerLifetime),
		SessionIdleTimeout:      time.Duration(sc.SessionIdleTimeout),
		MaxDevicesPerRequest:    sc.MaxDevicesPerRequest,
		DeviceListPageSize:      sc.DeviceListPageSize,
		MaxCallbackThreshold:    sc.MaxCallbackThreshold,
		CallbackRetryInterval:   time.Duration(sc.CallbackRetryInterval),
		MaxConcurrentDeliveries: sc.MaxConcurrentDeliveries,
		DeliveryTimeout:         time.Duration(sc.DeliveryTimeout),
		Devices:                 sc.Devices,
		Faults:                  sc.Faults,
		Listeners:               sc.Listeners,
		Fleets:                  sc.Fleets,
	}
	if sc.DefaultBehavior != nil {
		o.DefaultBehavior = *sc.DefaultBehavior
	}
	return o
}
