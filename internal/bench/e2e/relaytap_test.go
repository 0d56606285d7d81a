package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestParseExchangesTimesEachReadAnswerByItsLastByte(t *testing.T) {
	received := "GET /v1/requests/req-a?wait=25s HTTP/1.1\r\nHost: relay\r\n\r\n" +
		"POST /callbacks HTTP/1.1\r\nHost: relay\r\nContent-Length: 2\r\n\r\n{}" +
		"GET /v1/requests/req-b HTTP/1.1\r\nHost: relay\r\n\r\n" +
		"GET /v1/requests/req-c?wait=25s HTTP/1.1\r\nHost: relay\r\n\r\n" // never answered
	page := `{"requestId":"req-a","callbacks":[{"seq":3,"receivedAt":"2026-11-28T18:00:00Z","payload":{}},{"seq":5,"receivedAt":"2026-11-28T18:00:01Z","payload":{}}],"next":5}`
	first := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(page)) + "\r\n\r\n"
	stored := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
	empty := `{"requestId":"req-b","callbacks":[],"next":0}`
	third := "HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(empty)) + "\r\n\r\n" + empty
	sent := first + page + stored + third
	t0 := time.Date(2026, 11, 28, 18, 0, 2, 0, time.UTC)
	writes := []writeMark{
		{end: len(first), at: t0},                                   // headers alone
		{end: len(first) + len(page), at: t0.Add(time.Millisecond)}, // then the body
		{end: len(sent), at: t0.Add(time.Second)},
	}
	got, err := parseExchanges([]byte(received), []byte(sent), writes)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("answers = %+v, want req-a and req-b", got)
	}
	if a := got[0]; a.requestID != "req-a" || !a.sentAt.Equal(t0.Add(time.Millisecond)) || len(a.seqs) != 2 || a.seqs[1] != 5 {
		t.Fatalf("first answer = %+v", a)
	}
	if b := got[1]; b.requestID != "req-b" || !b.sentAt.Equal(t0.Add(time.Second)) || len(b.seqs) != 0 {
		t.Fatalf("second answer = %+v", b)
	}
}

// A connection the handler takes over is written on directly; the tap sees it all the same.
func TestTapListenerSeesHijackedAnswers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tap := &tapListener{Listener: ln}
	body := `{"requestId":"req-a","callbacks":[{"seq":7,"receivedAt":"2026-11-28T18:00:00Z","payload":{}}],"next":7}`
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\nConnection: close\r\n\r\n"+body)
		conn.Close()
	})}
	go func() { _ = srv.Serve(tap) }()
	defer func() { _ = srv.Shutdown(context.Background()) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/v1/requests/req-a?wait=25s")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	// The tap notes a write once it returns, which may be after the client has read it.
	var answers []readAnswer
	for deadline := time.Now().Add(5 * time.Second); len(answers) == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if answers, err = tap.readAnswers(time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if len(answers) != 1 || answers[0].requestID != "req-a" || len(answers[0].seqs) != 1 || answers[0].seqs[0] != 7 {
		t.Fatalf("answers = %+v", answers)
	}
}
