package memnet

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// An HTTP round trip over the listener in a bubble: the handler's 1 s takes exactly 1 s of the
// bubble's clock, and a client timeout fires exactly when it is due.
func TestHTTPInBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ln := Listen()
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d, _ := time.ParseDuration(r.URL.Query().Get("sleep"))
			select {
			case <-time.After(d):
				_, _ = io.WriteString(w, "done")
			case <-r.Context().Done(): // the client hung up
			}
		})}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		client := &http.Client{Transport: &http.Transport{DialContext: ln.Dial}, Timeout: 5 * time.Second}
		defer client.CloseIdleConnections()

		began := time.Now()
		resp, err := client.Get("http://127.0.0.1/?sleep=1s")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "done" || time.Since(began) != time.Second {
			t.Errorf("answered %q after %s, want done after 1s", body, time.Since(began))
		}

		began = time.Now()
		_, err = client.Get("http://127.0.0.1/?sleep=1m")
		var timeout interface{ Timeout() bool }
		if !errors.As(err, &timeout) || !timeout.Timeout() || time.Since(began) != 5*time.Second {
			t.Errorf("a 1 min handler: %v after %s, want the client's 5 s timeout", err, time.Since(began))
		}
	})
}

func TestClosed(t *testing.T) {
	ln := Listen()
	ln.Close()
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v", err)
	}
	if _, err := ln.Dial(context.Background(), "tcp", "x"); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Dial after Close: %v", err)
	}
	if err := ln.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}
