module github.com/f30c7f75/websocket

go 1.26

require github.com/google/go-cmp v0.7.0
