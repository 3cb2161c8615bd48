// Command echoserver runs the WebSocket echo server of one library, for the
// load client to measure.
//
//	echoserver -lib ours -addr 127.0.0.1:9001 [-deflate] [-cpuprofile FILE] [-memprofile FILE]
//
// It prints "listening on ADDR" once it accepts connections (an address
// with port 0 picks a free port). On SIGUSR1 it collects garbage and
// returns free memory to the system, so that the resident memory measured
// next is what the connections hold, prints the Go runtime's view of its
// memory to standard error, and writes the heap profile if asked for; on
// SIGINT or SIGTERM it stops, writing the CPU profile if asked for.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/f30c7f75/websocket/bench/echo"
)

func main() {
	lib := flag.String("lib", "ours", fmt.Sprintf("library: one of %v", echo.Libs))
	addr := flag.String("addr", "127.0.0.1:9001", "address to listen on")
	deflate := flag.Bool("deflate", false, "accept permessage-deflate")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	memprofile := flag.String("memprofile", "", "on SIGUSR1, write a heap profile to this file")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		for s := range sig {
			if s == syscall.SIGUSR1 {
				runtime.GC()
				debug.FreeOSMemory()
				reportMemory(*memprofile)
				continue
			}
			if *cpuprofile != "" {
				pprof.StopCPUProfile()
			}
			os.Exit(0)
		}
	}()

	fmt.Printf("listening on %s\n", ln.Addr())
	if err := echo.Serve(ln, *lib, echo.Options{Deflate: *deflate}); err != nil {
		log.Fatal(err)
	}
}

// reportMemory prints where the process's memory is, by the runtime's
// account, and writes a heap profile to file unless it is "".
func reportMemory(file string) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Fprintf(os.Stderr, "goroutines=%d heap_inuse_kib=%d stack_inuse_kib=%d sys_kib=%d\n",
		runtime.NumGoroutine(), m.HeapInuse>>10, m.StackInuse>>10, m.Sys>>10)
	if file == "" {
		return
	}
	f, err := os.Create(file)
	if err != nil {
		log.Print(err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		log.Print(err)
	}
}
