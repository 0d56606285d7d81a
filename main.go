// Command terraform-provider-thingspace serves the ThingSpace Terraform provider over plugin
// protocol 6. Terraform starts it; run it with -debug to attach a debugger and hand Terraform
// the reattach configuration it prints.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"runtime/debug"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/provider"
)

// version is set at release time by goreleaser (-X main.version={{.Version}}); "dev" marks a
// local build in the User-Agent ThingSpace and the relay see.
var version = "dev"

// providerAddress is the registry address users put in required_providers (contract).
const providerAddress = "registry.terraform.io/euicc-ops/thingspace"

func main() {
	debug := flag.Bool("debug", false, "run the provider with support for debuggers such as delve")
	flag.Parse()
	if !*debug {
		// Terraform filters the provider's logs; do not produce what it would discard.
		provider.AlignLogLevelsWithTerraform()
	}
	tuneGarbageCollector()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: providerAddress,
		Debug:   *debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}

// tuneGarbageCollector trades memory for CPU. A provider process lives for one Terraform command
// and answers bursts of RPCs whose framework overhead is almost all short-lived garbage; with
// the default GOGC a plan of 500 resources spends about a quarter of its CPU collecting it.
// Collecting less often (capped by a soft memory limit) makes large plans markedly faster.
// GOGC and GOMEMLIMIT, when set, still decide.
func tuneGarbageCollector() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(200)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(1 << 30)
	}
}
