module github.com/f30c7f75/websocket/interop

go 1.26

replace github.com/f30c7f75/websocket => ../

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/f30c7f75/websocket v0.0.0-00010101000000-000000000000
	github.com/google/go-cmp v0.7.0
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
)
