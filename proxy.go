package websocket

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// This file holds the client's proxies: the choice of a proxy from the
// environment, HTTP and HTTPS proxies tunnelling with CONNECT (RFC 9110
// section 9.3.6), and SOCKS5 proxies (RFC 1928, with RFC 1929's username
// and password).

// ProxyFromEnvironment returns the proxy for req as net/http's
// ProxyFromEnvironment does, read afresh on each call: HTTPS_PROXY for https
// requests (wss URLs), HTTP_PROXY for http ones (ws URLs), and besides, as
// curl does, ALL_PROXY for either when the other is not set. NO_PROXY lists
// hosts to reach directly, and loopback hosts are never proxied. The
// lower-case names are read too. A value may be an http, https, socks5 or
// socks5h URL; without a scheme it is taken as http.
func ProxyFromEnvironment(req *http.Request) (*url.URL, error) {
	var proxy string
	if req.URL.Scheme == "https" {
		proxy = getenv("HTTPS_PROXY")
	} else if os.Getenv("REQUEST_METHOD") == "" { // not in a CGI program, where HTTP_PROXY is a request header
		proxy = getenv("HTTP_PROXY")
	}
	if proxy == "" {
		proxy = getenv("ALL_PROXY")
	}
	if proxy == "" || !useProxy(req.URL, getenv("NO_PROXY")) {
		return nil, nil
	}
	u, err := url.Parse(proxy)
	if err != nil || u.Scheme == "" || u.Host == "" {
		// A bare host[:port], as people often write it.
		if u2, err2 := url.Parse("http://" + proxy); err2 == nil && u2.Host != "" {
			return u2, nil
		}
		return nil, fmt.Errorf("invalid proxy address %q", proxy)
	}
	return u, nil
}

// getenv returns the environment variable name, or else its lower-case
// form.
func getenv(name string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return os.Getenv(strings.ToLower(name))
}

// useProxy reports whether u's host is to be reached through a proxy, given
// noProxy, a NO_PROXY value: a comma-separated list of "*", IP addresses,
// CIDR ranges, and host names ("example.com" matches it and its subdomains,
// ".example.com" only the subdomains), each optionally with a port.
func useProxy(u *url.URL, noProxy string) bool {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" || u.Scheme == "wss" {
			port = "443"
		}
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	ip := net.ParseIP(host)
	if ip != nil && ip.IsLoopback() {
		return false
	}
	for _, entry := range strings.Split(noProxy, ",") {
		entry = strings.ToLower(strings.TrimSpace(entry))
		switch {
		case entry == "":
			continue
		case entry == "*":
			return false
		}
		if _, cidr, err := net.ParseCIDR(entry); err == nil {
			if ip != nil && cidr.Contains(ip) {
				return false
			}
			continue
		}
		name, entryPort := entry, ""
		if h, p, err := net.SplitHostPort(entry); err == nil {
			name, entryPort = h, p
		}
		if entryPort != "" && entryPort != port {
			continue
		}
		name = strings.TrimSuffix(strings.TrimPrefix(name, "*"), ".")
		if eip := net.ParseIP(strings.Trim(name, "[]")); eip != nil {
			if ip != nil && eip.Equal(ip) {
				return false
			}
			continue
		}
		if strings.HasPrefix(name, ".") {
			if strings.HasSuffix(host, name) {
				return false
			}
		} else if host == name || strings.HasSuffix(host, "."+name) {
			return false
		}
	}
	return true
}

// dialProxy connects to target through the proxy at proxyURL.
func dialProxy(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), proxyURL *url.URL, target string, opts *DialOptions) (net.Conn, error) {
	addr := hostPort(proxyURL) // port 80 for http and no scheme, 443 for https
	socks := false
	switch proxyURL.Scheme {
	case "http", "", "https":
	case "socks5", "socks5h":
		socks = true
		if proxyURL.Port() == "" {
			addr = net.JoinHostPort(proxyURL.Hostname(), "1080")
		}
	default:
		return nil, fmt.Errorf("websocket: proxy scheme %q is not supported", proxyURL.Scheme)
	}
	nc, err := dial(ctx, "tcp", addr)
	if err == nil && proxyURL.Scheme == "https" {
		nc, err = tlsHandshake(ctx, nc, proxyURL.Hostname(), opts.TLSConfig, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("websocket: dialing proxy %s: %w", proxyURL.Host, err)
	}
	stop := bindContext(ctx, nc)
	defer stop()
	if socks {
		err = socksConnect(nc, proxyURL.User, target)
	} else {
		err = httpConnect(nc, proxyURL.User, target, opts)
	}
	if err != nil {
		nc.Close()
		return nil, ctxErr(ctx, err)
	}
	return nc, nil
}

// httpConnect asks the HTTP proxy on nc for a tunnel to target.
func httpConnect(nc net.Conn, user *url.Userinfo, target string, opts *DialOptions) error {
	req := "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n"
	if user != nil {
		pass, _ := user.Password()
		req += "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user.Username()+":"+pass)) + "\r\n"
	}
	extra := opts.ProxyConnectHeader.Clone()
	extra.Del("Host")
	req += string(appendExtraHeaders(nil, extra)) + "\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		return fmt.Errorf("websocket: writing CONNECT to proxy: %w", err)
	}
	// A proxy sends nothing after its response until the tunnel carries
	// our handshake, so a small buffer cannot swallow tunnel bytes.
	br := bufio.NewReaderSize(&headerLimitReader{r: nc, n: maxHeaderBytes(opts)}, 16)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		return fmt.Errorf("websocket: reading proxy response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		// Not resp.Body.Close: it would read a body that may never end.
		return fmt.Errorf("websocket: proxy refused CONNECT to %s: %s", target, resp.Status)
	}
	if br.Buffered() > 0 {
		return errors.New("websocket: proxy sent data before the tunnel opened")
	}
	return nil
}

// SOCKS5 (RFC 1928) and its username/password authentication (RFC 1929).
const (
	socksVersion     = 5
	socksNoAuth      = 0
	socksUserPass    = 2
	socksConnectCmd  = 1
	socksAddrIPv4    = 1
	socksAddrName    = 3
	socksAddrIPv6    = 4
	socksUserPassVer = 1
	socksSucceeded   = 0
)

// socksReplies are the failures of section 6 of RFC 1928.
var socksReplies = [...]string{
	1: "general SOCKS server failure",
	2: "connection not allowed by ruleset",
	3: "network unreachable",
	4: "host unreachable",
	5: "connection refused",
	6: "TTL expired",
	7: "command not supported",
	8: "address type not supported",
}

// socksConnect asks the SOCKS5 proxy on nc for a connection to target,
// whose host name the proxy resolves.
func socksConnect(nc net.Conn, user *url.Userinfo, target string) error {
	host, portStr, err := net.SplitHostPort(target)
	if err != nil {
		return fmt.Errorf("websocket: SOCKS5 target %q: %w", target, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return fmt.Errorf("websocket: SOCKS5 target port %q: %w", portStr, err)
	}

	method := byte(socksNoAuth)
	if user != nil {
		method = socksUserPass
	}
	var buf [2]byte
	if err := socksExchange(nc, []byte{socksVersion, 1, method}, buf[:], "method"); err != nil {
		return err
	}
	if buf[1] != method {
		return errors.New("websocket: SOCKS5 proxy accepts no authentication method offered")
	}
	if method == socksUserPass {
		name := user.Username()
		pass, _ := user.Password()
		if len(name) == 0 || len(name) > 255 || len(pass) > 255 {
			return errors.New("websocket: SOCKS5 username and password must be 1 to 255 and at most 255 bytes")
		}
		msg := append([]byte{socksUserPassVer, byte(len(name))}, name...)
		msg = append(append(msg, byte(len(pass))), pass...)
		if _, err := nc.Write(msg); err != nil {
			return fmt.Errorf("websocket: writing to SOCKS5 proxy: %w", err)
		}
		if _, err := io.ReadFull(nc, buf[:]); err != nil {
			return fmt.Errorf("websocket: reading SOCKS5 proxy's authentication status: %w", err)
		}
		if buf[1] != 0 {
			return errors.New("websocket: SOCKS5 proxy refused the username and password")
		}
	}

	req := []byte{socksVersion, socksConnectCmd, 0}
	if ip := net.ParseIP(host); ip == nil {
		if len(host) > 255 {
			return fmt.Errorf("websocket: SOCKS5 target host name longer than 255 bytes")
		}
		req = append(append(req, socksAddrName, byte(len(host))), host...)
	} else if ip4 := ip.To4(); ip4 != nil {
		req = append(append(req, socksAddrIPv4), ip4...)
	} else {
		req = append(append(req, socksAddrIPv6), ip.To16()...)
	}
	req = binary.BigEndian.AppendUint16(req, uint16(port))
	// The reply: version, status, reserved, and the bound address.
	var reply [4]byte
	if err := socksExchange(nc, req, reply[:], "reply"); err != nil {
		return err
	}
	if status := reply[1]; status != socksSucceeded {
		msg := "unknown error"
		if int(status) < len(socksReplies) && socksReplies[status] != "" {
			msg = socksReplies[status]
		}
		return fmt.Errorf("websocket: SOCKS5 proxy could not connect to %s: %s", target, msg)
	}
	var skip int
	switch reply[3] {
	case socksAddrIPv4:
		skip = 4
	case socksAddrIPv6:
		skip = 16
	case socksAddrName:
		if _, err := io.ReadFull(nc, buf[:1]); err != nil {
			return fmt.Errorf("websocket: reading SOCKS5 proxy's reply: %w", err)
		}
		skip = int(buf[0])
	default:
		return fmt.Errorf("websocket: SOCKS5 proxy replied with address type %d", reply[3])
	}
	if _, err := io.CopyN(io.Discard, nc, int64(skip+2)); err != nil {
		return fmt.Errorf("websocket: reading SOCKS5 proxy's reply: %w", err)
	}
	return nil
}

// socksExchange sends msg to the SOCKS5 proxy on nc and reads its answer
// into reply, which starts with the protocol version; what names the answer
// in errors.
func socksExchange(nc net.Conn, msg, reply []byte, what string) error {
	if _, err := nc.Write(msg); err != nil {
		return fmt.Errorf("websocket: writing to SOCKS5 proxy: %w", err)
	}
	if _, err := io.ReadFull(nc, reply); err != nil {
		return fmt.Errorf("websocket: reading SOCKS5 proxy's %s: %w", what, err)
	}
	if reply[0] != socksVersion {
		return fmt.Errorf("websocket: SOCKS5 proxy answered with version %d", reply[0])
	}
	return nil
}
