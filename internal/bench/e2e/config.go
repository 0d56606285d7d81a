package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/localprovider"
)

// variant is one way of enabling the devices with Terraform.
type variant string

const (
	// variantData is N plain terraform_data resources: what Terraform itself costs.
	variantData variant = "terraform_data"
	// variantProvider is N thingspace_euicc_profile_enablement resources.
	variantProvider variant = "provider"
	// variantScript is N terraform_data resources whose local-exec runs enable.sh.
	variantScript variant = "shell script"
	// variantEqualState is N terraform_data resources whose input holds the values of the
	// provider's resources as the provider's apply stored them (stateFile): what Terraform
	// itself costs for that much state.
	variantEqualState variant = "equal-state terraform_data"
)

func (v variant) dirName() string {
	return map[variant]string{variantData: "data", variantProvider: "provider", variantScript: "script", variantEqualState: "equal-state"}[v]
}

// stateFile is where each variant's equal-state values are written.
const stateFile = "state.tf.json"

// enableScript is what users write today: curl, sh and a little sed.
//
//go:embed enable.sh
var enableScript []byte

const (
	resourceAddress = "device" // every variant names its resources <type>.device["<eid>"]
)

// writeConfig writes the Terraform configuration of one variant for devices into dir.
func writeConfig(dir string, v variant, devices []device) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string]string{"devices.tf": devicesLocal(devices), "main.tf": mainConfig(v)}
	if v == variantScript {
		if err := os.WriteFile(filepath.Join(dir, "enable.sh"), enableScript, 0o755); err != nil {
			return err
		}
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// devicesLocal is the device list, EID to ICCID, that every variant iterates over.
func devicesLocal(devices []device) string {
	var b strings.Builder
	b.WriteString("locals {\n  devices = {\n")
	for _, d := range devices {
		fmt.Fprintf(&b, "    %q = %q\n", d.EID, d.ICCID)
	}
	b.WriteString("  }\n}\n")
	return b.String()
}

// providerHeader requires the locally built provider and configures it from the THINGSPACE_*
// environment variables, as a CI pipeline does; every configuration that uses it starts so.
func providerHeader() string {
	return fmt.Sprintf(`terraform {
  required_providers {
    thingspace = {
      source = %q
    }
  }
}

# Configured through the THINGSPACE_* environment variables.
provider "thingspace" {}
`, localprovider.Source)
}

func mainConfig(v variant) string {
	switch v {
	case variantProvider:
		return providerHeader() + fmt.Sprintf(`
resource "thingspace_euicc_profile_enablement" %q {
  for_each = local.devices
  devices  = [{ eid = each.key, iccid = each.value }]
}
`, resourceAddress)
	case variantScript:
		return fmt.Sprintf(`resource "terraform_data" %q {
  for_each = local.devices
  input    = { eid = each.key, iccid = each.value }

  provisioner "local-exec" {
    command     = "${path.module}/enable.sh"
    environment = { EID = each.key, ICCID = each.value }
  }
}
`, resourceAddress)
	case variantEqualState:
		return fmt.Sprintf(`# local.state (%s) holds, per EID, the attributes of the provider's resource.
resource "terraform_data" %q {
  for_each = local.devices
  input    = local.state[each.key]
}
`, stateFile, resourceAddress)
	default:
		return fmt.Sprintf(`resource "terraform_data" %q {
  for_each = local.devices
  input    = { eid = each.key, iccid = each.value }
}
`, resourceAddress)
	}
}

// writeEqualState writes, into dir, local.state: the attributes of every resource in the
// Terraform state file providerState, by its for_each key (the EID), in JSON syntax.
func writeEqualState(dir, providerState string) error {
	data, err := os.ReadFile(providerState)
	if err != nil {
		return err
	}
	var state struct {
		Resources []struct {
			Type      string `json:"type"`
			Instances []struct {
				IndexKey   string                     `json:"index_key"`
				Attributes map[string]json.RawMessage `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(data, &state); err != nil {
		return fmt.Errorf("%s: %w", providerState, err)
	}
	values := map[string]map[string]json.RawMessage{}
	for _, r := range state.Resources {
		for _, in := range r.Instances {
			values[in.IndexKey] = in.Attributes
		}
	}
	out, err := json.Marshal(map[string]any{"locals": map[string]any{"state": values}})
	if err != nil {
		return err
	}
	// In Terraform's JSON syntax a string is a template: escape what would start one.
	escaped := strings.NewReplacer("${", "$${", "%{", "%%{").Replace(string(out))
	return os.WriteFile(filepath.Join(dir, stateFile), []byte(escaped), 0o644)
}
