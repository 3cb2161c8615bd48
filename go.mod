module github.com/f30c7f75/websocket

go 1.23
