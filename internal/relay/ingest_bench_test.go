package relay

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
)

// benchCallback is a success callback shaped like ThingSpace's documented example (about 1 KB,
// as internal/bench/relay sends), distinct for every n so each one is stored.
func benchCallback(n int) []byte {
	return fmt.Appendf(nil, `{"username":%q,"password":%q,"requestId":"bench-%d",`+
		`"deviceIds":[{"id":"8914800000084078%04d","kind":"iccid"},{"id":"890490320000010000000000000%05d","kind":"eid"}],`+
		`"deviceResponse":{"deviceProfileResponse":{"deviceIdentifierCollection":[{"id":"666456789014008","kind":"imei"},`+
		`{"id":"8914800000084078%04d","kind":"iccid"},{"id":"2022326360","kind":"mdn"},{"id":"890490320000010000000000000%05d","kind":"eid"}],`+
		`"ipAddress":"101.0.1.216","state":"Active","servicePlan":"RP4235311",`+
		`"deviceCredential":{"username":"2022326360@vzw4g.com","password":"dev-%08d"},"smsrOid":"1.3.6.1.4.1.31746.1.500.200.101.4",`+
		`"profileStatus":"enable","euiccStatus":"SUCCESS","euiccStatusCode":"0","euiccStatusDesc":"Executed-Success"}},`+
		`"status":"Success","callbackCount":1,"maxCallbackThreshold":4}`,
		testUser, testPass, n/4, n%10000, n%100000, n%10000, n%100000, n)
}

// BenchmarkIngest drives the real ingest handler over loopback HTTP into a SQLite store with
// full synchronous commits, from concurrent keep-alive senders (-cpu sets GOMAXPROCS, the
// senders are 16 per P), as ThingSpace delivers callbacks. Profile it with -cpuprofile and
// -memprofile to see where a callback's time goes.
func BenchmarkIngest(b *testing.B) {
	for _, kind := range storeKinds {
		b.Run(kind, func(b *testing.B) {
			r := startRelay(b, testStoreDSN(b, kind))
			benchmarkIngest(b, r.URL())
		})
	}
}

// BenchmarkParseIncoming is the CPU cost of reading one callback body, without HTTP or store.
func BenchmarkParseIncoming(b *testing.B) {
	body := benchCallback(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseIncoming(body); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkIngest(b *testing.B, baseURL string) {
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		defer client.CloseIdleConnections()
		for pb.Next() {
			body := benchCallback(int(next.Add(1)))
			resp, err := client.Post(baseURL+"/callbacks", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body) // drained so the connection is reused
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("POST /callbacks answered %d", resp.StatusCode)
				return
			}
		}
	})
}
