package main

import "testing"

func TestRelayRequestsAddsEveryCodeOfOneRoute(t *testing.T) {
	text := `# HELP thingspace_relay_http_requests_total HTTP requests answered, by route and status code.
# TYPE thingspace_relay_http_requests_total counter
thingspace_relay_http_requests_total{code="200",route="callbacks"} 7
thingspace_relay_http_requests_total{code="200",route="requests"} 498
thingspace_relay_http_requests_total{route="requests",code="503"} 2
thingspace_relay_http_requests_total{code="401",route="requests, but not really \"this\""} 40
thingspace_relay_http_requests_total_other{code="200",route="requests"} 1000
process_resident_memory_bytes 3.2456704e+07
`
	got, err := relayRequests(text, "requests")
	if err != nil {
		t.Fatal(err)
	}
	if got != 500 {
		t.Fatalf("sum = %d, want 500 (498 + 2, other routes and metrics left out)", got)
	}
}

func TestRelayRequestsIsZeroBeforeTheFirstSample(t *testing.T) {
	got, err := relayRequests("# TYPE thingspace_relay_http_requests_total counter\n", "requests")
	if err != nil || got != 0 {
		t.Fatalf("sum = %d, %v; want 0, nil", got, err)
	}
}

func TestRelayRequestsRefusesAMalformedLine(t *testing.T) {
	for _, text := range []string{
		`thingspace_relay_http_requests_total{code="200",route="requests} 5`,
		`thingspace_relay_http_requests_total{code="200"} five`,
		`thingspace_relay_http_requests_total`,
	} {
		if _, err := relayRequests(text, "requests"); err == nil {
			t.Errorf("no error for %q", text)
		}
	}
}
