package main

import (
	_ "embed"
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
)

func (v variant) dirName() string {
	return map[variant]string{variantData: "data", variantProvider: "provider", variantScript: "script"}[v]
}

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

func mainConfig(v variant) string {
	switch v {
	case variantProvider:
		return fmt.Sprintf(`terraform {
  required_providers {
    thingspace = {
      source = %q
    }
  }
}

# Configured through the THINGSPACE_* environment variables.
provider "thingspace" {}

resource "thingspace_euicc_profile_enablement" %q {
  for_each = local.devices
  devices  = [{ eid = each.key, iccid = each.value }]
}
`, localprovider.Source, resourceAddress)
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
	default:
		return fmt.Sprintf(`resource "terraform_data" %q {
  for_each = local.devices
  input    = { eid = each.key, iccid = each.value }
}
`, resourceAddress)
	}
}
