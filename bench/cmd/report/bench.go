package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// benchTable prints the in-process benchmark results in file (go test
// -bench output, names Benchmark<What>/lib=<lib>/<param>) as a markdown
// table: a row per benchmark and parameter, a column per library, each
// entry the median time per operation (of the -count runs) with its
// allocations, and a last column comparing ours with the fastest other.
func benchTable(file, ours string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	type bkey struct{ row, lib string }
	times := map[bkey][]float64{}
	allocs := map[bkey]string{}
	var rows, libs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(fields[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i] // the GOMAXPROCS suffix
		}
		var lib string
		var rest []string
		for _, part := range strings.Split(name, "/") {
			if l, ok := strings.CutPrefix(part, "lib="); ok {
				lib = l
			} else {
				rest = append(rest, part)
			}
		}
		if lib == "" {
			continue
		}
		row := strings.Join(rest, "/")
		k := bkey{row, lib}
		for i := 2; i+1 < len(fields); i += 2 {
			v, unit := fields[i], fields[i+1]
			switch unit {
			case "ns/op":
				x, err := strconv.ParseFloat(v, 64)
				if err == nil {
					times[k] = append(times[k], x)
				}
			case "allocs/op":
				allocs[k] = v
			}
		}
		rows, libs = appendNew(rows, row), appendNew(libs, lib)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	sortOursFirst(libs, ours)
	printHeader("benchmark", libs, ours+" vs fastest peer")
	for _, row := range rows {
		cells := []string{row}
		medians := map[string]float64{}
		for _, lib := range libs {
			k := bkey{row, lib}
			if len(times[k]) == 0 {
				cells = append(cells, "—")
				continue
			}
			med, _, _ := summary(times[k])
			medians[lib] = med
			cells = append(cells, fmt.Sprintf("%s, %s alloc", duration(med), allocs[k]))
		}
		cells = append(cells, compare(medians, ours, true))
		fmt.Printf("| %s |\n", strings.Join(cells, " | "))
	}
	return nil
}

// duration formats ns nanoseconds with three significant digits.
func duration(ns float64) string {
	switch {
	case ns >= 1e6:
		return strconv.FormatFloat(ns/1e6, 'f', 2, 64) + " ms"
	case ns >= 1e4:
		return strconv.FormatFloat(ns/1e3, 'f', 1, 64) + " µs"
	case ns >= 1e3:
		return strconv.FormatFloat(ns/1e3, 'f', 2, 64) + " µs"
	case ns >= 100:
		return strconv.FormatFloat(ns, 'f', 0, 64) + " ns"
	}
	return strconv.FormatFloat(ns, 'f', 1, 64) + " ns"
}
