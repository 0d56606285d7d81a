// Package benchstack holds what the e2e benchmark's and the soak's simulator-and-relay stacks have
// in common: how the simulator is told about the relay, the environment that points the
// provider at both, and the made-up secrets between them.
package benchstack

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// smsrOid is the SM-SR object id of Verizon's enable example.
const smsrOid = "1.3.6.1.4.1.31746.1.500.200.101.5"

// RelayListener registers the relay at relayURL as the default account's DeviceProfileService
// listener, as a customer registers it with ThingSpace, with the credentials the relay checks.
func RelayListener(relayURL, callbackUser, callbackPassword string) []simulator.Listener {
	return []simulator.Listener{{Account: simulator.DefaultAccount, CallbackListener: thingspace.CallbackListener{
		Name: thingspace.ServiceDeviceProfile, URL: relayURL + "/callbacks",
		Username: callbackUser, Password: callbackPassword,
	}}}
}

// ProviderEnv is the environment that points the provider (and the e2e benchmark's shell
// script) at a simulator and a relay, the way a CI pipeline configures them.
func ProviderEnv(simulatorURL, relayURL, readToken string) []string {
	return []string{
		"THINGSPACE_BASE_URL=" + simulatorURL,
		"THINGSPACE_CLIENT_ID=" + simulator.DefaultClientID,
		"THINGSPACE_CLIENT_SECRET=" + simulator.DefaultClientSecret,
		"THINGSPACE_USERNAME=" + simulator.DefaultUsername,
		"THINGSPACE_PASSWORD=" + simulator.DefaultPassword,
		"THINGSPACE_ACCOUNT_NAME=" + simulator.DefaultAccount,
		"THINGSPACE_SMSR_OID=" + smsrOid,
		"THINGSPACE_RELAY_URL=" + relayURL,
		"THINGSPACE_RELAY_TOKEN=" + readToken,
	}
}

// RandomSecret returns 32 random hex characters, for a run's relay credentials.
func RandomSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
