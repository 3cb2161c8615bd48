// Loaded with node --require before Go's wasm_exec_node.js: Node.js before
// 22 has no global WebSocket, which a Go program compiled for a web page
// (GOOS=js) dials with; the ws package's is the browser-compatible one.
globalThis.WebSocket ??= require("ws");
