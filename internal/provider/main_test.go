package provider_test

import (
	"os"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport"
)

// TestMain lets the real-CLI tests share one build of the provider binary.
func TestMain(m *testing.M) { os.Exit(testsupport.Main(m)) }
