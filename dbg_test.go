//go:build go1.24

package websocket

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestHarnessDebug(t *testing.T) {
	seed, _ := strconv.Atoi(os.Getenv("HSEED"))
	p := genProgram(newChoices(hSeedInput(uint64(seed))))
	if tr := os.Getenv("HTRANS"); tr != "" {
		p.transport, _ = strconv.Atoi(tr)
	}
	drop := os.Getenv("HDROP")
	for _, a := range p.actors {
		for i := range a.ops {
			if strings.Contains(drop, fmt.Sprintf("%s%d.%d,", hSideNames[a.side], a.role, i)) {
				a.ops[i].kind = opPause
				a.ops[i].d = 0
				if a.role == hReader {
					a.ops[i].kind = opReadMessage
					a.ops[i].ctx = 0
				}
			}
		}
	}
	runProgram(t, p, nil)
}
