// Command report turns the raw results of run.sh into one markdown table:
// a row per cell and measure, a column per library with the median of the
// repetitions and their range, and a last column comparing our package
// with the best of the others.
//
// Each input line is tab-separated: cell, library, repetition, and the
// key=value fields cmd/load printed (or error=1 for a failed run).
//
//	report [-ours ours] results.tsv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// measure is a figure reported per cell.
type measure struct {
	key    string // the field of cmd/load's output
	label  string
	lower  bool // lower is better
	format string
}

var measures = []measure{
	{"cpu_us_per_msg", "server CPU µs/msg", true, "%.2f"},
	{"msgs_per_s", "msg/s", false, "%.0f"},
	{"kib_per_conn", "server RSS KiB/conn", true, "%.1f"},
	{"kib_per_conn_gc", "RSS KiB/conn after GC", true, "%.1f"},
}

type key struct{ cell, lib, measure string }

func main() {
	ours := flag.String("ours", "ours", "the library compared with the best of the others")
	bench := flag.Bool("bench", false, "the file holds go test -bench output: print the in-process table")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: report [-ours NAME] results.tsv | report -bench [-ours NAME] bench.txt")
	}
	if *bench {
		if err := benchTable(flag.Arg(0), *ours); err != nil {
			log.Fatal(err)
		}
		return
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	var cells, libs []string
	values := map[key][]float64{}
	failures := map[key]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 4 {
			continue
		}
		cell, lib := cols[0], cols[1]
		cells, libs = appendNew(cells, cell), appendNew(libs, lib)
		for _, field := range strings.Fields(cols[3]) {
			k, v, _ := strings.Cut(field, "=")
			if k == "error" {
				failures[key{cell, lib, ""}]++
				continue
			}
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			values[key{cell, lib, k}] = append(values[key{cell, lib, k}], x)
		}
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	sortOursFirst(libs, *ours)

	printHeader("cell", libs, *ours+" vs best peer")
	for _, cell := range cells {
		for _, m := range measures {
			if !hasAny(values, cell, libs, m.key) {
				continue
			}
			row := []string{cell + ": " + m.label}
			medians := map[string]float64{}
			for _, lib := range libs {
				vs := values[key{cell, lib, m.key}]
				cellText := "—"
				if len(vs) > 0 {
					med, lo, hi := summary(vs)
					medians[lib] = med
					cellText = fmt.Sprintf(m.format+" ("+m.format+"–"+m.format+")", med, lo, hi)
				}
				if n := failures[key{cell, lib, ""}]; n > 0 {
					cellText += fmt.Sprintf(" FAILED ×%d", n)
				}
				row = append(row, cellText)
			}
			row = append(row, compare(medians, *ours, m.lower))
			fmt.Printf("| %s |\n", strings.Join(row, " | "))
		}
	}
}

// isOurs reports whether lib is ours or a variant of it (ours-*).
func isOurs(lib, ours string) bool { return lib == ours || strings.HasPrefix(lib, ours+"-") }

// sortOursFirst moves ours and its variants to the front of libs, keeping
// the order of the others.
func sortOursFirst(libs []string, ours string) {
	rank := func(l string) int {
		if isOurs(l, ours) {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(libs, func(a, b string) int { return rank(a) - rank(b) })
}

// appendNew appends s to list unless list holds it already.
func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// printHeader prints a table's header: a first column named first, a
// column per library and a last one named last.
func printHeader(first string, libs []string, last string) {
	fmt.Printf("| %s | %s | %s |\n", first, strings.Join(libs, " | "), last)
	fmt.Printf("|---|%s---|\n", strings.Repeat("---|", len(libs)))
}

func hasAny(values map[key][]float64, cell string, libs []string, m string) bool {
	for _, lib := range libs {
		if len(values[key{cell, lib, m}]) > 0 {
			return true
		}
	}
	return false
}

// summary returns the median, minimum and maximum of vs.
func summary(vs []float64) (med, lo, hi float64) {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		med = s[n/2]
	} else {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return med, s[0], s[n-1]
}

// compare returns how far ours is behind the best other library, as a
// factor above 1 (ours' cost ÷ the best cost, or the best rate ÷ ours'),
// or ahead of it, below 1; with the best library's name.
func compare(medians map[string]float64, ours string, lowerBetter bool) string {
	mine, ok := medians[ours]
	if !ok {
		return "—"
	}
	best, bestLib := math.NaN(), ""
	for lib, v := range medians {
		if isOurs(lib, ours) {
			continue
		}
		if bestLib == "" || lowerBetter && v < best || !lowerBetter && v > best {
			best, bestLib = v, lib
		}
	}
	if bestLib == "" || mine == 0 || best == 0 {
		return "—"
	}
	ratio := mine / best
	if !lowerBetter {
		ratio = best / mine
	}
	return fmt.Sprintf("%.2f (%s)", ratio, bestLib)
}
