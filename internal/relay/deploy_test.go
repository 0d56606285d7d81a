package relay

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
)

// The alerting rules and the dashboard name metrics by string: a renamed or removed metric must
// fail here rather than leave an alert that never fires or an empty panel.
func TestDeployFilesQueryOnlyExportedMetrics(t *testing.T) {
	t.Parallel()
	m := newMetrics(openTestSQLite(t))
	// Vectors export nothing until a label set is used: touch each so every name is gathered.
	m.storeSeconds.WithLabelValues("append").Observe(0)
	m.requests.WithLabelValues(RouteCallbacks, "200").Inc()
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, f := range families {
		exported[f.GetName()] = true
		if f.GetType().String() == "HISTOGRAM" {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				exported[f.GetName()+suffix] = true
			}
		}
	}

	var files []string
	for _, pattern := range []string{"../../deploy/prometheus/*.yml", "../../deploy/grafana/*.json"} {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, matches...)
	}
	if len(files) < 3 {
		t.Fatalf("found %v, want the rules, their tests and the dashboard under deploy/", files)
	}
	name := regexp.MustCompile(`thingspace_relay_[a-z0-9_]*[a-z0-9]`)
	for _, file := range files {
		content, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Ext(file) == ".json" {
			checkDashboard(t, file, content)
		}
		seen := map[string]bool{}
		for _, n := range name.FindAll(content, -1) {
			seen[string(n)] = true
		}
		if len(seen) == 0 {
			t.Errorf("%s names no relay metric", file)
		}
		var unknown []string
		for n := range seen {
			if !exported[n] {
				unknown = append(unknown, n)
			}
		}
		sort.Strings(unknown)
		if len(unknown) > 0 {
			t.Errorf("%s queries %v, which the relay does not export (see metrics.go)", file, unknown)
		}
	}
}

// checkDashboard fails unless content is a Grafana dashboard whose queries all go through its
// datasource variable, so it imports into any Grafana whatever its Prometheus is called.
func checkDashboard(t *testing.T, file string, content []byte) {
	t.Helper()
	type datasource struct {
		UID string `json:"uid"`
	}
	var dash struct {
		Templating struct {
			List []struct {
				Name, Type string
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			Title      string     `json:"title"`
			Datasource datasource `json:"datasource"`
			Targets    []struct {
				Datasource datasource `json:"datasource"`
				Expr       string     `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(content, &dash); err != nil {
		t.Errorf("%s is not valid JSON: %v", file, err)
		return
	}
	hasVariable := false
	for _, v := range dash.Templating.List {
		hasVariable = hasVariable || (v.Name == "datasource" && v.Type == "datasource")
	}
	if !hasVariable {
		t.Errorf("%s has no datasource variable named datasource", file)
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("%s: panel %q has no query", file, p.Title)
		}
		for _, target := range p.Targets {
			if p.Datasource.UID != "${datasource}" || target.Datasource.UID != "${datasource}" {
				t.Errorf("%s: panel %q does not query through ${datasource}", file, p.Title)
			}
			if target.Expr == "" {
				t.Errorf("%s: panel %q has an empty query", file, p.Title)
			}
		}
	}
}
