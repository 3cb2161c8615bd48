package websocket_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// goBlock is a fenced Go code block in Markdown.
var goBlock = regexp.MustCompile("(?s)\n```go\n(.*?)\n```")

// TestReadmeSnippets checks that every Go snippet of the README and of
// docs/ is code that go test compiles: each must appear, as it is or
// indented (inside an Example function or a handler in one), in one of the
// example_*_test.go files of the package or of xconnect, which go vet and
// go test build and run.
func TestReadmeSnippets(t *testing.T) {
	docs, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	var readme []byte
	for _, f := range append([]string{"README.md"}, docs...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		readme = append(readme, b...)
	}
	files, err := filepath.Glob("example*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := filepath.Glob("*/example*_test.go") // xconnect's
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, sub...)
	var examples strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		examples.Write(b)
	}
	blocks := goBlock.FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("no Go code block in README.md and docs/")
	}
	for _, m := range blocks {
		block := string(m[1])
		found := false
		for depth := range 4 {
			found = found || strings.Contains(examples.String(), indent(block, depth))
		}
		if !found {
			t.Errorf("the README or docs/ show code that no example file holds:\n%s", block)
		}
	}
}

// indent puts depth tabs before every non-empty line of s.
func indent(s string, depth int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = strings.Repeat("\t", depth) + l
		}
	}
	return strings.Join(lines, "\n")
}
