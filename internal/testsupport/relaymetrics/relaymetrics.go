// Package relaymetrics reads a running relay's /metrics for tests and benchmarks, which count
// the provider's reads and ThingSpace's deliveries from the relay's own figures.
package relaymetrics

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// requestsMetric counts HTTP answers by route and status code.
const requestsMetric = "thingspace_relay_http_requests_total"

// AnsweredRequests reads a relay's /metrics and returns how many requests it has answered per
// route, whatever their status code. Tests and the benchmark use it to count the provider's
// reads; a route not used yet is absent (zero).
func AnsweredRequests(ctx context.Context, client *http.Client, baseURL string) (map[string]int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading the relay's /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading the relay's /metrics: HTTP %d", resp.StatusCode)
	}
	return answeredRequests(resp.Body)
}

func answeredRequests(metrics io.Reader) (map[string]int, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(metrics)
	if err != nil {
		return nil, fmt.Errorf("parsing the relay's /metrics: %w", err)
	}
	counts := map[string]int{}
	family, ok := families[requestsMetric]
	if !ok {
		return counts, nil
	}
	for _, m := range family.GetMetric() {
		for _, label := range m.GetLabel() {
			if label.GetName() == "route" {
				counts[label.GetValue()] += int(m.GetCounter().GetValue())
			}
		}
	}
	return counts, nil
}
