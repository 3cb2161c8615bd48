// Command check summarizes Autobahn testsuite reports and fails when a case
// did not pass.
//
//	go run ./autobahn/check autobahn/reports/server/index.json [more index.json...]
//
// For each agent in each report it prints, per section (the first number of
// the case ids), how many cases ended OK, NON-STRICT, INFORMATIONAL,
// UNIMPLEMENTED and FAILED, then the totals and every case that was not OK.
//
// The exit status is 0 when every case is OK or INFORMATIONAL, 1 when some
// case is NON-STRICT, UNIMPLEMENTED or FAILED, and 2 when the arguments or a
// report cannot be used.
package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitOK       = 0
	exitFailures = 1
	exitUsage    = 2
)

// An outcome is how a case ended, as Autobahn grades it.
type outcome int

// The outcomes, in the order of the summary's columns.
const (
	ok            outcome = iota // behaved as the RFC requires
	nonStrict                    // acceptable, but not as strict as the RFC asks
	informational                // nothing to judge; the report just describes what happened
	unimplemented                // the feature the case tests is not implemented
	failed                       // broke the RFC
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"}

func (o outcome) String() string { return outcomeNames[o] }

// fails reports whether o makes the check fail.
func (o outcome) fails() bool { return o != ok && o != informational }

// caseResult is a case's entry in a report's index.json. Only the fields
// the summary uses are decoded.
type caseResult struct {
	Behavior        string `json:"behavior"`
	BehaviorClose   string `json:"behaviorClose"`
	RemoteCloseCode *int   `json:"remoteCloseCode"`
}

// outcome grades the case by its behavior, except that a closing handshake
// graded FAILED fails the case whatever its behavior. A behavior this
// program does not know counts as FAILED, so that it cannot pass unseen.
func (r caseResult) outcome() outcome {
	if r.BehaviorClose == "FAILED" {
		return failed
	}
	for o, name := range outcomeNames {
		if r.Behavior == name {
			return outcome(o)
		}
	}
	return failed
}

// index is a report's index.json: the results of each case id, per agent.
type index map[string]map[string]caseResult

// run is the whole program: args are the report paths; it returns the exit
// status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: check index.json...")
		return exitUsage
	}
	status := exitOK
	for _, path := range args {
		idx, err := readIndex(path)
		if err != nil {
			fmt.Fprintln(stderr, "check:", err)
			status = exitUsage
			continue
		}
		for _, agent := range sortedKeys(idx) {
			fmt.Fprintf(stdout, "== %s: agent %s, %d cases\n", path, agent, len(idx[agent]))
			if summarize(stdout, idx[agent]) && status == exitOK {
				status = exitFailures
			}
			fmt.Fprintln(stdout)
		}
	}
	return status
}

// readIndex reads and decodes the report index at path. An index without
// any case is an error: the run it comes from went wrong.
func readIndex(path string) (index, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var idx index
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cases := 0
	for _, results := range idx {
		cases += len(results)
	}
	if cases == 0 {
		return nil, fmt.Errorf("%s: no test results", path)
	}
	return idx, nil
}

// summarize prints the counts of outcomes per section, the totals and the
// cases that were not OK, and reports whether any case fails the check.
func summarize(w io.Writer, results map[string]caseResult) (failing bool) {
	ids := sortedKeys(results)
	slices.SortFunc(ids, compareCaseIDs)

	counts := map[string]*[numOutcomes]int{}
	var sections []string
	var total [numOutcomes]int
	for _, id := range ids {
		sec, _, _ := strings.Cut(id, ".")
		if counts[sec] == nil {
			counts[sec] = new([numOutcomes]int)
			sections = append(sections, sec) // in order, as ids are sorted
		}
		o := results[id].outcome()
		counts[sec][o]++
		total[o]++
		failing = failing || o.fails()
	}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "section\t")
	for _, name := range outcomeNames {
		fmt.Fprintf(tw, "%s\t", name)
	}
	fmt.Fprintln(tw)
	for _, sec := range sections {
		writeRow(tw, sec, counts[sec])
	}
	writeRow(tw, "total", &total)
	tw.Flush()

	notOK := len(ids) - total[ok]
	if notOK == 0 {
		return failing
	}
	fmt.Fprintf(w, "not OK (%d):\n", notOK)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, id := range ids {
		r := results[id]
		if o := r.outcome(); o != ok {
			code := "none"
			if r.RemoteCloseCode != nil {
				code = strconv.Itoa(*r.RemoteCloseCode)
			}
			fmt.Fprintf(tw, "  %s\t%v\tbehavior %s, close %s, remote close code %s\n", id, o, r.Behavior, r.BehaviorClose, code)
		}
	}
	tw.Flush()
	return failing
}

func writeRow(tw io.Writer, label string, counts *[numOutcomes]int) {
	fmt.Fprintf(tw, "%s\t", label)
	for _, n := range counts {
		fmt.Fprintf(tw, "%d\t", n)
	}
	fmt.Fprintln(tw)
}

// compareCaseIDs orders case ids such as "6.4.10" by their numbers, part by
// part, so that 6.4.9 comes before 6.4.10 and 9 before 10. Parts that are
// not numbers compare as strings, after numbers.
func compareCaseIDs(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, errA := strconv.Atoi(pa[i])
		nb, errB := strconv.Atoi(pb[i])
		var c int
		switch {
		case errA == nil && errB == nil:
			c = cmp.Compare(na, nb)
		case errA == nil:
			c = -1
		case errB == nil:
			c = 1
		default:
			c = strings.Compare(pa[i], pb[i])
		}
		if c != 0 {
			return c
		}
	}
	return len(pa) - len(pb)
}

// sortedKeys returns m's keys in string order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
