package simulator

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

func TestLoadScenario(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scenario.json")
	const text = `{
		"clientId": "id", "clientSecret": "secret", "username": "user", "password": "pw",
		"accounts": ["A-1", "A-2"],
		"bearerLifetime": "90s", "sessionIdleTimeout": "1m",
		"maxDevicesPerRequest": 10, "deviceListPageSize": 5,
		"maxCallbackThreshold": 2, "callbackRetryInterval": "250ms",
		"maxConcurrentDeliveries": 4, "deliveryTimeout": "3s",
		"defaultBehavior": {"outcome": "success", "delay": "2s"},
		"devices": {"89049032000001000000000000000074": {"outcome": "warning_then_failure", "warningDelay": "1s", "delay": "3s",
			"failureCode": "REQUEST_FAILED.DeviceNotReachable", "failureMessage": "unreachable", "duplicates": 1, "beforeResponse": true}},
		"faults": [{"endpoint": "profile_action", "action": "enable", "status": 429, "retryAfter": "1", "times": 2},
			{"endpoint": "login", "mode": "drop_before_handling"}],
		"listeners": [{"account": "A-1", "name": "DeviceProfileService", "url": "http://127.0.0.1:9/cb", "username": "cu", "password": "cp"}],
		"fleet": [{"count": 10000, "state": "active", "account": "A-1"}, {"count": 5, "state": "suspend", "account": "A-2"}]
	}`
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadScenario(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Options{
		ClientID: "id", ClientSecret: "secret", Username: "user", Password: "pw", Accounts: []string{"A-1", "A-2"},
		BearerLifetime: 90 * time.Second, SessionIdleTimeout: time.Minute, MaxDevicesPerRequest: 10, DeviceListPageSize: 5,
		MaxCallbackThreshold: 2, CallbackRetryInterval: 250 * time.Millisecond, MaxConcurrentDeliveries: 4, DeliveryTimeout: 3 * time.Second,
		DefaultBehavior: DeviceBehavior{Outcome: OutcomeSuccess, Delay: Duration(2 * time.Second)},
		Devices: map[string]DeviceBehavior{eidA: {Outcome: OutcomeWarningThenFailure, WarningDelay: Duration(time.Second), Delay: Duration(3 * time.Second),
			FailureCode: "REQUEST_FAILED.DeviceNotReachable", FailureMessage: "unreachable", Duplicates: 1, BeforeResponse: true}},
		Faults: []Fault{{Endpoint: EndpointProfileAction, Action: thingspace.ActionEnable, Status: 429, RetryAfter: "1", Times: 2},
			{Endpoint: EndpointLogin, Mode: FaultDropBeforeHandling}},
		Listeners: []Listener{{Account: "A-1", CallbackListener: thingspace.CallbackListener{Name: thingspace.ServiceDeviceProfile,
			URL: "http://127.0.0.1:9/cb", Username: "cu", Password: "cp"}}},
		Fleets: []Fleet{{Count: 10000, State: thingspace.DeviceStateActive, Account: "A-1"}, {Count: 5, State: thingspace.DeviceStateSuspend, Account: "A-2"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("options =\n%+v\nwant\n%+v", got, want)
	}
}

func TestEmptyScenarioKeepsDefaults(t *testing.T) {
	sc, err := ParseScenario(strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sc.Options(), Options{}) {
		t.Fatalf("empty scenario gave %+v", sc.Options())
	}
}

func TestBadScenarios(t *testing.T) {
	cases := map[string]struct{ text, want string }{
		"unknown key":          {`{"client":"x"}`, `unknown field "client"`},
		"unknown nested key":   {`{"defaultBehavior":{"outcome":"success","speed":"fast"}}`, `unknown field "speed"`},
		"numeric duration":     {`{"bearerLifetime":3600}`, `must be a string such as "2s"`},
		"bad duration":         {`{"sessionIdleTimeout":"soon"}`, `invalid duration "soon"`},
		"negative duration":    {`{"callbackRetryInterval":"-1s"}`, `must not be negative`},
		"unknown outcome":      {`{"devices":{"123":{"outcome":"explode"}}}`, `devices[123]: unknown outcome "explode"`},
		"EID with letters":     {`{"devices":{"12a":{}}}`, `devices[12a]: eid "12a" is not all digits`},
		"unknown endpoint":     {`{"faults":[{"endpoint":"teleport"}]}`, `faults[0]: unknown endpoint "teleport"`},
		"bad fault mode":       {`{"faults":[{"endpoint":"login","mode":"explode"}]}`, `faults[0]: unknown mode "explode"`},
		"negative limit":       {`{"maxDevicesPerRequest":-1}`, `maxDevicesPerRequest must not be negative`},
		"empty account":        {`{"accounts":[""]}`, `account name must not be empty`},
		"listener without URL": {`{"listeners":[{"account":"A","name":"DeviceProfileService"}]}`, `listeners[0]: url must be an absolute`},
		"trailing data":        {`{} {}`, `unexpected data after the JSON value`},
		"empty fleet":          {`{"fleet":[{"count":0}]}`, `fleet[0]: count 0`},
		"fleet state":          {`{"fleet":[{"count":1,"state":"asleep"}]}`, `fleet[0]: unknown state "asleep"`},
		"fleet account":        {`{"fleet":[{"count":1,"account":"nope"}]}`, `fleet[0]: account "nope" is not one of`},
		"not JSON":             {`outcome: success`, `not a valid scenario`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseScenario(strings.NewReader(c.text))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestLoadScenarioNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.json")
	if err := os.WriteFile(path, []byte(`{"nope":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadScenario(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("error = %v, want it to name %s", err, path)
	}
	if _, err := LoadScenario(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Fatal("a missing file was accepted")
	}
}
