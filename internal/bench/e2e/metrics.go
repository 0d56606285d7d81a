package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// relayRequestsMetric counts the relay's HTTP answers by route and status code.
const relayRequestsMetric = "thingspace_relay_http_requests_total"

// relayRequests adds up, in the relay's /metrics (Prometheus text exposition format), the
// answers of one route over every status code. A route without a sample yet counts as zero:
// the relay creates a label set on first use.
func relayRequests(text, route string) (int, error) {
	total := 0.0
	scanner := bufio.NewScanner(strings.NewReader(text))
	scanner.Buffer(make([]byte, 64<<10), 1<<20)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sample, err := parseSample(line)
		if err != nil {
			return 0, fmt.Errorf("relay /metrics: %w", err)
		}
		if sample.name == relayRequestsMetric && sample.labels["route"] == route {
			total += sample.value
		}
	}
	if err := scanner.Err(); err != nil {
		return 0, err
	}
	return int(total), nil
}

type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// parseSample reads one sample line: name, optional {labels}, value, optional timestamp.
func parseSample(line string) (sample, error) {
	s := sample{labels: map[string]string{}}
	end := strings.IndexAny(line, "{ ")
	if end <= 0 {
		return s, fmt.Errorf("sample line without a value: %q", line)
	}
	s.name, line = line[:end], line[end:]
	if strings.HasPrefix(line, "{") {
		rest, err := parseLabels(line[1:], s.labels)
		if err != nil {
			return s, fmt.Errorf("%w in %q", err, line)
		}
		line = rest
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return s, fmt.Errorf("sample %s has no value", s.name)
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, fmt.Errorf("sample %s has value %q, not a number", s.name, fields[0])
	}
	s.value = v
	return s, nil
}

// parseLabels reads `a="x",b="y"}` into labels and returns what follows the closing brace.
// Values may hold escaped quotes, backslashes and newlines, as the format allows.
func parseLabels(in string, labels map[string]string) (string, error) {
	for {
		in = strings.TrimLeft(in, " ,")
		if strings.HasPrefix(in, "}") {
			return in[1:], nil
		}
		eq := strings.Index(in, "=\"")
		if eq <= 0 {
			return "", fmt.Errorf("malformed label set")
		}
		key := strings.TrimSpace(in[:eq])
		value, rest, ok := unquoteLabel(in[eq+2:])
		if !ok {
			return "", fmt.Errorf("unterminated label value")
		}
		labels[key] = value
		in = rest
	}
}

// unquoteLabel reads a label value up to its closing quote (already past the opening one).
func unquoteLabel(in string) (value, rest string, ok bool) {
	var b strings.Builder
	for i := 0; i < len(in); i++ {
		switch c := in[i]; {
		case c == '"':
			return b.String(), in[i+1:], true
		case c == '\\' && i+1 < len(in):
			i++
			if in[i] == 'n' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(in[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}
