package simulator

import (
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

func manyEIDs(n int) []string {
	eids := make([]string, n)
	for i := range eids {
		eids[i] = fmt.Sprintf("890490320000010000000000%08d", i)
	}
	return eids
}

// TestDelayedDevicesCostNoGoroutines: 500 devices waiting for their callbacks are entries in the
// scheduler, not goroutines, so the benchmark's 500 devices x 2 s is cheap.
func TestDelayedDevicesCostNoGoroutines(t *testing.T) {
	f := newFixture(t, Options{MaxDevicesPerRequest: 500, DefaultBehavior: DeviceBehavior{Delay: Duration(time.Hour)}})
	h := f.auth()
	f.action(h, thingspace.ActionEnable, profileRequest("1")) // starts the scheduler's goroutines
	before := runtime.NumGoroutine()
	f.action(h, thingspace.ActionEnable, profileRequest(manyEIDs(500)...))
	if after := runtime.NumGoroutine(); after-before > 10 {
		t.Fatalf("500 delayed devices added %d goroutines", after-before)
	}
}

// TestFiveHundredDevices delivers one callback per device of a full-size request.
func TestFiveHundredDevices(t *testing.T) {
	f := newFixture(t, Options{MaxDevicesPerRequest: 500})
	eids := manyEIDs(500)
	requestID := f.action(f.auth(), thingspace.ActionEnable, profileRequest(eids...))
	seen := map[string]bool{}
	for range eids {
		cb := f.nextCallback().cb
		if cb.RequestID != requestID || cb.Status != thingspace.CallbackStatusSuccess {
			t.Fatalf("callback %+v", cb)
		}
		seen[cb.DeviceIDs.Get(thingspace.KindEID)] = true
	}
	if len(seen) != len(eids) {
		t.Fatalf("%d distinct devices answered, want %d", len(seen), len(eids))
	}
}

// BenchmarkEnable500Devices measures a full-size enable from request to the last callback, with
// devices answering at once: the simulator's own cost per callback.
func BenchmarkEnable500Devices(b *testing.B) {
	f := newFixture(b, Options{MaxDevicesPerRequest: 500, DefaultBehavior: DeviceBehavior{Outcome: OutcomeSuccess}})
	eids := manyEIDs(500)
	h := f.auth()
	body := profileRequest(eids...)
	b.ResetTimer()
	for b.Loop() {
		resp, err := f.send(http.MethodPost, thingspace.ProfileActionPath(thingspace.ActionEnable), h, body)
		if err != nil || resp.status != http.StatusOK {
			b.Fatalf("enable: %v %d", err, resp.status)
		}
		for range eids {
			<-f.callbacks
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(eids)), "ns/callback")
}
