package provider

import (
	"os"
	"strings"
)

// Terraform keeps a provider's log lines only at or above the level of TF_LOG_PROVIDER, else
// TF_LOG, and none when both are unset. The plugin SDK and framework, however, log at TRACE
// whenever their own variables are unset: every RPC writes dozens of JSON lines to stderr, which
// Terraform reads, parses and then throws away. With hundreds of resources that costs a third of
// a plan's CPU. AlignLogLevelsWithTerraform sets the plugin's unset log-level variables to the
// level Terraform will keep, so what users see is unchanged and nothing else is produced.
//
// Call it before serving, and not in debug mode: there the provider's stderr goes straight to
// the developer's terminal, so Terraform's filter does not apply.
func AlignLogLevelsWithTerraform() {
	for name, level := range pluginLogLevels(os.Getenv) {
		_ = os.Setenv(name, level) // cannot fail for these names
	}
}

// pluginLogLevelVariables choose the levels of the SDK's root logger, its protocol and
// framework subsystems, and this provider's own logger (TF_LOG_PROVIDER_<TYPE NAME>).
var pluginLogLevelVariables = []string{
	"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_" + strings.ToUpper(TypeName),
}

// pluginLogLevels returns the unset (or empty) log-level variables and the value each should
// take; none when Terraform keeps everything (TRACE) or the user chose them.
func pluginLogLevels(getenv func(string) string) map[string]string {
	level := terraformProviderLogLevel(getenv)
	if level == "TRACE" {
		return nil
	}
	out := map[string]string{}
	for _, name := range pluginLogLevelVariables {
		if getenv(name) == "" {
			out[name] = level
		}
	}
	return out
}

// terraformProviderLogLevel is the level at which Terraform keeps provider logs, as Terraform
// decides it: TF_LOG_PROVIDER, else TF_LOG; unset means OFF, and JSON or a value Terraform does
// not know means TRACE.
func terraformProviderLogLevel(getenv func(string) string) string {
	level := getenv("TF_LOG_PROVIDER")
	if level == "" {
		level = getenv("TF_LOG")
	}
	switch level = strings.ToUpper(level); level {
	case "":
		return "OFF"
	case "DEBUG", "INFO", "WARN", "ERROR", "OFF":
		return level
	default:
		return "TRACE"
	}
}
