package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPassingReport(t *testing.T) {
	var stdout, stderr bytes.Buffer
	status := run([]string{"testdata/pass.json"}, &stdout, &stderr)
	if status != exitOK {
		t.Errorf("status = %d, want %d; stderr: %s", status, exitOK, &stderr)
	}
	// INFORMATIONAL passes the check but is still listed as not OK.
	want := `== testdata/pass.json: agent f30c7f75-websocket, 5 cases
  section  OK  NON-STRICT  INFORMATIONAL  UNIMPLEMENTED  FAILED
        1   2           0              0              0       0
        2   1           0              0              0       0
        7   0           0              1              0       0
       10   1           0              0              0       0
    total   4           0              1              0       0
not OK (1):
  7.1.6  INFORMATIONAL  behavior INFORMATIONAL, close INFORMATIONAL, remote close code 1000

`
	if got := stdout.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestFailingReport(t *testing.T) {
	var stdout, stderr bytes.Buffer
	status := run([]string{"testdata/fail.json"}, &stdout, &stderr)
	if status != exitFailures {
		t.Errorf("status = %d, want %d; stderr: %s", status, exitFailures, &stderr)
	}
	want := `== testdata/fail.json: agent f30c7f75-websocket, 7 cases
  section  OK  NON-STRICT  INFORMATIONAL  UNIMPLEMENTED  FAILED
        5   0           0              0              0       1
        6   0           2              1              0       0
        7   0           0              0              0       1
        9   1           0              0              0       0
       12   0           0              0              1       0
    total   1           2              1              1       2
not OK (6):
  5.2     FAILED         behavior FAILED, close OK, remote close code 1000
  6.4.1   NON-STRICT     behavior NON-STRICT, close OK, remote close code 1007
  6.4.9   INFORMATIONAL  behavior INFORMATIONAL, close OK, remote close code 1007
  6.4.10  NON-STRICT     behavior NON-STRICT, close OK, remote close code 1007
  7.5.1   FAILED         behavior OK, close FAILED, remote close code none
  12.1.1  UNIMPLEMENTED  behavior UNIMPLEMENTED, close UNIMPLEMENTED, remote close code none

`
	if got := stdout.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

// TestEachOutcomeStatus checks, one case at a time, which outcomes fail the
// check.
func TestEachOutcomeStatus(t *testing.T) {
	tests := []struct {
		behavior, behaviorClose string
		want                    int
	}{
		{"OK", "OK", exitOK},
		{"INFORMATIONAL", "INFORMATIONAL", exitOK},
		{"NON-STRICT", "OK", exitFailures},
		{"UNIMPLEMENTED", "UNIMPLEMENTED", exitFailures},
		{"FAILED", "OK", exitFailures},
		{"OK", "FAILED", exitFailures},
		{"INFORMATIONAL", "FAILED", exitFailures},
		{"SOMETHING NEW", "OK", exitFailures}, // unknown grades cannot pass
	}
	for _, tt := range tests {
		doc := `{"agent": {"3.1": {"behavior": "` + tt.behavior + `", "behaviorClose": "` + tt.behaviorClose + `"}}}`
		path := writeFile(t, doc)
		var stdout, stderr bytes.Buffer
		if got := run([]string{path}, &stdout, &stderr); got != tt.want {
			t.Errorf("behavior %q, close %q: status %d, want %d\n%s%s", tt.behavior, tt.behaviorClose, got, tt.want, &stdout, &stderr)
		}
	}
}

func TestSeveralReports(t *testing.T) {
	var stdout, stderr bytes.Buffer
	status := run([]string{"testdata/pass.json", "testdata/fail.json"}, &stdout, &stderr)
	if status != exitFailures {
		t.Errorf("status = %d, want %d", status, exitFailures)
	}
	out := stdout.String()
	for _, header := range []string{"== testdata/pass.json:", "== testdata/fail.json:"} {
		if !strings.Contains(out, header) {
			t.Errorf("output lacks %q:\n%s", header, out)
		}
	}
}

func TestSeveralAgents(t *testing.T) {
	path := writeFile(t, `{
		"zeta": {"1.1.1": {"behavior": "FAILED", "behaviorClose": "OK"}},
		"alpha": {"1.1.1": {"behavior": "OK", "behaviorClose": "OK"}}
	}`)
	var stdout, stderr bytes.Buffer
	if status := run([]string{path}, &stdout, &stderr); status != exitFailures {
		t.Errorf("status = %d, want %d", status, exitFailures)
	}
	out := stdout.String()
	alpha, zeta := strings.Index(out, "agent alpha"), strings.Index(out, "agent zeta")
	if alpha < 0 || zeta < 0 || alpha > zeta {
		t.Errorf("want both agents, alpha first:\n%s", out)
	}
}

func TestUnusableInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"no arguments", nil},
		{"a flag", []string{"-h"}},
		{"missing file", []string{filepath.Join(t.TempDir(), "missing.json")}},
		{"malformed JSON", []string{"testdata/malformed.json"}},
		{"wrong shape", []string{writeFile(t, `["1.1.1"]`)}},
		{"no results", []string{writeFile(t, `{}`)}},
		{"agent without cases", []string{writeFile(t, `{"agent": {}}`)}},
		// A usable report does not hide a broken one.
		{"one good, one malformed", []string{"testdata/pass.json", "testdata/malformed.json"}},
		{"one failing, one malformed", []string{"testdata/fail.json", "testdata/malformed.json"}},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if got := run(tt.args, &stdout, &stderr); got != exitUsage {
			t.Errorf("%s: status %d, want %d", tt.name, got, exitUsage)
		}
		if stderr.Len() == 0 {
			t.Errorf("%s: nothing on stderr", tt.name)
		}
	}
}

func TestCompareCaseIDs(t *testing.T) {
	ids := []string{"10.1.1", "6.4.10", "9.1", "6.4.9", "1.1.1", "6.4.1", "2.10", "2.9", "6.4", "x.1", "6.x"}
	want := []string{"1.1.1", "2.9", "2.10", "6.4", "6.4.1", "6.4.9", "6.4.10", "6.x", "9.1", "10.1.1", "x.1"}
	slices.SortFunc(ids, compareCaseIDs)
	if !slices.Equal(ids, want) {
		t.Errorf("sorted: %v\nwant:   %v", ids, want)
	}
}

// writeFile writes doc to a file in a temporary directory and returns its
// path.
func writeFile(t *testing.T, doc string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "index.json")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
