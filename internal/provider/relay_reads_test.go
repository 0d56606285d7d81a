package provider_test

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
)

// relayReads proves that refreshing something finished reads nothing from the relay: one step
// notes how many reads the relay has answered, a later step checks the count has not moved
// (the test framework refreshes and plans several times in between).
type relayReads struct {
	t     *testing.T
	env   *acctest.Env
	noted int
}

func newRelayReads(t *testing.T, env *acctest.Env) *relayReads {
	return &relayReads{t: t, env: env, noted: -1}
}

// note records the relay's reads so far.
func (r *relayReads) note() resource.TestCheckFunc {
	return func(*terraform.State) error {
		r.noted = r.env.Relay.Reads(r.t)
		return nil
	}
}

// unchanged fails if the relay answered any read since note; what names what was refreshed.
func (r *relayReads) unchanged(what string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if reads := r.env.Relay.Reads(r.t); reads != r.noted {
			return fmt.Errorf("the relay answered %d reads, then %d: refreshing %s must read nothing", r.noted, reads, what)
		}
		return nil
	}
}
