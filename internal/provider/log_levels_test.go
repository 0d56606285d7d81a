package provider

import (
	"maps"
	"os"
	"testing"
)

func TestPluginLogLevelsFollowWhatTerraformKeeps(t *testing.T) {
	all := func(level string) map[string]string {
		return map[string]string{"TF_LOG_SDK": level, "TF_LOG_SDK_PROTO": level, "TF_LOG_SDK_FRAMEWORK": level, "TF_LOG_PROVIDER_THINGSPACE": level}
	}
	cases := []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"no logging: Terraform keeps nothing", nil, all("OFF")},
		{"TF_LOG applies to providers", map[string]string{"TF_LOG": "debug"}, all("DEBUG")},
		{"TF_LOG_PROVIDER wins over TF_LOG", map[string]string{"TF_LOG": "TRACE", "TF_LOG_PROVIDER": "INFO"}, all("INFO")},
		{"TF_LOG_CORE says nothing about providers", map[string]string{"TF_LOG_CORE": "TRACE"}, all("OFF")},
		{"TRACE keeps everything", map[string]string{"TF_LOG": "TRACE"}, map[string]string{}},
		{"JSON is TRACE", map[string]string{"TF_LOG": "json"}, map[string]string{}},
		{"an unknown level is TRACE to Terraform", map[string]string{"TF_LOG_PROVIDER": "verbose"}, map[string]string{}},
		{"a level the user set is kept", map[string]string{"TF_LOG_PROVIDER": "WARN", "TF_LOG_SDK_PROTO": "TRACE", "TF_LOG_PROVIDER_THINGSPACE": "DEBUG"},
			map[string]string{"TF_LOG_SDK": "WARN", "TF_LOG_SDK_FRAMEWORK": "WARN"}},
	}
	for _, c := range cases {
		got := pluginLogLevels(func(name string) string { return c.env[name] })
		if !maps.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAlignLogLevelsWithTerraformSetsTheEnvironment(t *testing.T) {
	t.Setenv("TF_LOG", "")
	t.Setenv("TF_LOG_PROVIDER", "ERROR")
	for _, name := range pluginLogLevelVariables {
		t.Setenv(name, "") // restored by t.Setenv's cleanup
	}
	AlignLogLevelsWithTerraform()
	for _, name := range pluginLogLevelVariables {
		if got := os.Getenv(name); got != "ERROR" {
			t.Errorf("%s = %q, want ERROR", name, got)
		}
	}
}
