package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/localprovider"
)

// The provider's INFO lines the benchmark measures from, as Terraform writes them to
// TF_LOG_PATH ("... provider.terraform-provider-thingspace: <message>: key=value ...").
const (
	logFinalState    = "Device reached a final state"
	logCreateFinish  = "Create finished"
	providerLogLabel = "provider." + localprovider.Binary + ": "
)

// completion is what the provider's log says about one resource's create.
type completion struct {
	requestID string
	// stored is when the relay stored the last final callback of the request's devices;
	// observed is when the provider saw it; finished is when Create returned.
	stored, observed, finished time.Time
	eids                       []string
}

// parseProviderLog reads the completions of every create in a TF_LOG_PATH file, by requestId.
func parseProviderLog(path string) (map[string]*completion, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]*completion{}
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 256<<10), 16<<20)
	for scanner.Scan() {
		if err := parseProviderLine(scanner.Text(), out); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return out, scanner.Err()
}

// parseProviderLine adds what one log line says to out; lines of other messages are ignored.
func parseProviderLine(line string, out map[string]*completion) error {
	_, rest, ok := strings.Cut(line, providerLogLabel)
	if !ok {
		return nil
	}
	message, text, ok := strings.Cut(rest, ": ")
	if !ok || (message != logFinalState && message != logCreateFinish) {
		return nil
	}
	fields := logFields(text)
	requestID := fields["request_id"]
	if requestID == "" {
		return fmt.Errorf("%q line without request_id: %s", message, line)
	}
	c := out[requestID]
	if c == nil {
		c = &completion{requestID: requestID}
		out[requestID] = c
	}
	observed, err := logTime(fields, "observed_at")
	if err != nil {
		return err
	}
	if message == logCreateFinish {
		c.finished = observed
		c.eids = strings.Fields(strings.Trim(fields["eids"], "[]"))
		return nil
	}
	stored, err := logTime(fields, "relay_received_at")
	if err != nil {
		return err
	}
	if stored.After(c.stored) {
		c.stored = stored
	}
	if observed.After(c.observed) {
		c.observed = observed
	}
	return nil
}

// logFields splits hclog's "key=value key2="quoted value" list=[a b]" into a map.
func logFields(text string) map[string]string {
	out := map[string]string{}
	for text = strings.TrimSpace(text); text != ""; text = strings.TrimSpace(text) {
		key, rest, ok := strings.Cut(text, "=")
		if !ok || strings.ContainsAny(key, " \t") {
			return out // not a field: the message text itself, or a wrapped value
		}
		value, after := logValue(rest)
		out[key], text = value, after
	}
	return out
}

// logValue reads one value at the start of s: "quoted" (Go syntax), [a list], or a bare word.
func logValue(s string) (value, rest string) {
	switch {
	case strings.HasPrefix(s, `"`):
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				if v, err := strconv.Unquote(s[:i+1]); err == nil {
					return v, s[i+1:]
				}
				return s[1:i], s[i+1:]
			}
		}
	case strings.HasPrefix(s, "["):
		if end := strings.IndexByte(s, ']'); end >= 0 {
			return s[:end+1], s[end+1:]
		}
	}
	if end := strings.IndexAny(s, " \t"); end >= 0 {
		return s[:end], s[end:]
	}
	return s, ""
}

func logTime(fields map[string]string, key string) (time.Time, error) {
	v := fields[key]
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return t, fmt.Errorf("field %s=%q is not an RFC 3339 time", key, v)
	}
	return t, nil
}

// providerOverheads returns, for every resource (create), the time from the relay storing its
// devices' last final callback to Create returning, and the part of it until the provider held
// that callback. Every configured device, and no other, must have a finished create, so a missing
// or misread log line fails the benchmark instead of skewing it.
func providerOverheads(path string, devices []device) (overhead, wake []time.Duration, err error) {
	completions, err := parseProviderLog(path)
	if err != nil {
		return nil, nil, err
	}
	byEID := map[string]*completion{}
	for _, c := range completions {
		if c.finished.IsZero() || c.stored.IsZero() {
			return nil, nil, fmt.Errorf("%s: request %s has no %q or no %q line", path, c.requestID, logCreateFinish, logFinalState)
		}
		for _, eid := range c.eids {
			byEID[eid] = c
		}
		overhead = append(overhead, c.finished.Sub(c.stored))
		wake = append(wake, c.observed.Sub(c.stored))
	}
	for _, d := range devices {
		if byEID[d.EID] == nil {
			return nil, nil, fmt.Errorf("%s: no %q line names EID %s", path, logCreateFinish, d.EID)
		}
	}
	if len(byEID) != len(devices) {
		return nil, nil, fmt.Errorf("%s: creates finished for %d devices, %d were configured", path, len(byEID), len(devices))
	}
	return overhead, wake, nil
}

// scriptDone matches the last line enable.sh prints, as Terraform shows local-exec output.
var scriptDone = regexp.MustCompile(`enabled EID (\d+) request_id=(\S+) finished_at=(\S+)`)

// scriptFinishes reads when each script finished, by requestId, from `terraform apply` output.
func scriptFinishes(stdout string, devices []device) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	seen := map[string]bool{}
	for _, m := range scriptDone.FindAllStringSubmatch(stdout, -1) {
		t, err := time.Parse(time.RFC3339Nano, m[3])
		if err != nil {
			return nil, fmt.Errorf("enable.sh printed finished_at=%q, not an RFC 3339 time", m[3])
		}
		out[m[2]], seen[m[1]] = t, true
	}
	for _, d := range devices {
		if !seen[d.EID] {
			return nil, fmt.Errorf("the apply output has no line of enable.sh finishing EID %s", d.EID)
		}
	}
	if len(out) != len(devices) {
		return nil, fmt.Errorf("enable.sh finished %d requests for %d devices", len(out), len(devices))
	}
	return out, nil
}

func requestIDs(m map[string]time.Time) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// scriptOverheads pairs each script's finish with the relay's time of its final callback.
func scriptOverheads(finished, stored map[string]time.Time) ([]time.Duration, error) {
	out := make([]time.Duration, 0, len(finished))
	for _, id := range requestIDs(finished) {
		s, ok := stored[id]
		if !ok {
			return nil, fmt.Errorf("the relay holds no final callback for request %s", id)
		}
		out = append(out, finished[id].Sub(s))
	}
	return out, nil
}
