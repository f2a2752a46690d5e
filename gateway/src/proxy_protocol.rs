//! The PROXY protocol (HAProxy's specification, versions 1 and 2): a TCP load balancer in
//! front of the gateway (AWS's Network Load Balancer, HAProxy's `send-proxy`, a cloud's
//! ingress in TCP mode) cannot write `X-Forwarded-For` into requests it does not read, so it
//! opens each connection with a header naming the caller's address instead.
//!
//! With `GATEWAY_FORWARDED_HEADER=proxy-protocol`, a connection from one of the trusted
//! proxies must begin with that header; the specification forbids guessing whether one is
//! there, so a connection whose first bytes are not one is closed. Connections from anywhere
//! else are callers' own and are served as they come (a caller cannot name another address).

use bytes::BytesMut;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// How long a trusted proxy has to send its header once it has connected.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Version 2's header opens with these 12 bytes (a line no HTTP request can begin with).
const SIGNATURE_V2: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
/// Version 1's header is one line of at most this many bytes, CRLF included.
const MAX_V1: usize = 107;

/// What a header says of the connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Source {
    /// The caller's address and port, as the proxy accepted its connection.
    Caller(SocketAddr),
    /// The proxy speaking for itself (a health check: version 2's `LOCAL`), or a connection it
    /// cannot describe (`UNKNOWN`, a family other than TCP over IPv4 or IPv6): the
    /// connection's own address stands.
    Proxy,
}

/// The caller's address as the header opening a trusted proxy's connection names it (or the
/// connection's, when the header names none), with what followed the header in `buf`; `None`
/// when the connection must be closed, which is logged with the reason — unless the proxy
/// closed it without a byte, as a balancer's TCP health check does every few seconds.
pub async fn caller<S: AsyncRead + Unpin>(stream: &mut S, proxy: SocketAddr, buf: &mut BytesMut) -> Option<SocketAddr> {
    match tokio::time::timeout(HEADER_TIMEOUT, read(stream, buf)).await {
        Ok(Ok(Some(Source::Caller(caller)))) => Some(caller),
        Ok(Ok(Some(Source::Proxy))) => Some(proxy),
        Ok(Ok(None)) => None,
        Ok(Err(reason)) => {
            tracing::warn!(%proxy, "closed a trusted proxy's connection: {reason}");
            None
        }
        Err(_) => {
            tracing::warn!(%proxy, "closed a trusted proxy's connection: no PROXY protocol header within 10 s");
            None
        }
    }
}

/// Read the header that opens a trusted proxy's connection. The bytes read past it (the
/// first request, when the proxy sent both at once) are left in `buf`; `None` when the
/// connection closed before its first byte.
pub async fn read<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut BytesMut) -> Result<Option<Source>, String> {
    loop {
        if let Some((length, source)) = parse(buf)? {
            let _ = buf.split_to(length);
            return Ok(Some(source));
        }
        if buf.capacity() - buf.len() < 512 {
            buf.reserve(4 * 1024);
        }
        match stream.read_buf(buf).await {
            Ok(0) if buf.is_empty() => return Ok(None),
            Ok(0) => return Err("the connection closed before its PROXY protocol header was complete".into()),
            Ok(_) => {}
            Err(e) => return Err(format!("reading the PROXY protocol header: {e}")),
        }
    }
}

/// The header at the start of `bytes` and its length; `None` while what arrived could still
/// become one.
pub fn parse(bytes: &[u8]) -> Result<Option<(usize, Source)>, String> {
    if bytes.starts_with(b"PROXY ") {
        return parse_v1(bytes);
    }
    if bytes.starts_with(SIGNATURE_V2) {
        return parse_v2(bytes);
    }
    if b"PROXY ".starts_with(bytes) || SIGNATURE_V2.starts_with(bytes) {
        return Ok(None);
    }
    Err("the connection does not begin with a PROXY protocol header".into())
}

/// `PROXY TCP4 198.51.100.7 10.0.0.5 51234 80\r\n`, or `PROXY UNKNOWN …\r\n`.
fn parse_v1(bytes: &[u8]) -> Result<Option<(usize, Source)>, String> {
    let window = &bytes[..bytes.len().min(MAX_V1)];
    let Some(end) = window.windows(2).position(|pair| pair == b"\r\n") else {
        return if bytes.len() < MAX_V1 {
            Ok(None)
        } else {
            Err(format!("the PROXY protocol v1 line has no CRLF within {MAX_V1} bytes"))
        };
    };
    let line = std::str::from_utf8(&bytes[..end]).map_err(|_| "the PROXY protocol v1 line is not text".to_string())?;
    let fields: Vec<&str> = line.split(' ').collect();
    let bad = || format!("the PROXY protocol v1 line is malformed: {line:?}");
    let source = match fields.get(1).copied() {
        Some("UNKNOWN") => Source::Proxy,
        Some(family @ ("TCP4" | "TCP6")) => {
            let [_, _, source, destination, source_port, destination_port] = fields[..] else {
                return Err(bad());
            };
            let address: IpAddr = match family {
                "TCP4" => source.parse::<Ipv4Addr>().map_err(|_| bad())?.into(),
                _ => source.parse::<Ipv6Addr>().map_err(|_| bad())?.into(),
            };
            let same_family = match family {
                "TCP4" => destination.parse::<Ipv4Addr>().is_ok(),
                _ => destination.parse::<Ipv6Addr>().is_ok(),
            };
            if !same_family || !is_port(source_port) || !is_port(destination_port) {
                return Err(bad());
            }
            Source::Caller(SocketAddr::new(address, source_port.parse().map_err(|_| bad())?))
        }
        _ => return Err(bad()),
    };
    Ok(Some((end + 2, source)))
}

/// A port as version 1 writes it: decimal, no sign and no leading zero.
fn is_port(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
        && text.parse::<u16>().is_ok()
}

/// The 16-byte binary header, its addresses and any TLVs (which are skipped).
fn parse_v2(bytes: &[u8]) -> Result<Option<(usize, Source)>, String> {
    let [_, _, _, _, _, _, _, _, _, _, _, _, version_command, family, high, low, ..] = *bytes else {
        return Ok(None);
    };
    if version_command >> 4 != 2 {
        return Err(format!("PROXY protocol version {} is not one the gateway reads", version_command >> 4));
    }
    let length = 16 + usize::from(u16::from_be_bytes([high, low]));
    if bytes.len() < length {
        return Ok(None);
    }
    let addresses = &bytes[16..length];
    let source = match (version_command & 0x0f, family) {
        (0x0, _) => Source::Proxy,
        // TCP over IPv4: source, destination, source port, destination port.
        (0x1, 0x11) => match addresses {
            [a, b, c, d, _, _, _, _, high, low, _, _, ..] => {
                Source::Caller(SocketAddr::new(Ipv4Addr::new(*a, *b, *c, *d).into(), u16::from_be_bytes([*high, *low])))
            }
            _ => return Err("the PROXY protocol v2 header is too short for its IPv4 addresses".into()),
        },
        (0x1, 0x21) if addresses.len() >= 36 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&addresses[..16]);
            Source::Caller(SocketAddr::new(
                Ipv6Addr::from(octets).into(),
                u16::from_be_bytes([addresses[32], addresses[33]]),
            ))
        }
        (0x1, 0x21) => return Err("the PROXY protocol v2 header is too short for its IPv6 addresses".into()),
        // UNSPEC, UDP, UNIX sockets: nothing the gateway can take as a caller's address.
        (0x1, _) => Source::Proxy,
        (command, _) => return Err(format!("PROXY protocol v2 command {command} is not LOCAL or PROXY")),
    };
    Ok(Some((length, source)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(text: &str) -> Source {
        Source::Caller(text.parse().expect("address"))
    }

    /// A version 2 header: command, family, the address block and a TLV after it.
    fn v2(command: u8, family: u8, addresses: &[u8]) -> Vec<u8> {
        let tlv = [0x04, 0x00, 0x02, b'n', b'o']; // PP2_TYPE_NOOP, two bytes
        let length = (addresses.len() + tlv.len()) as u16;
        [&SIGNATURE_V2[..], &[0x20 | command, family], &length.to_be_bytes(), addresses, &tlv].concat()
    }

    #[test]
    fn version_one_names_the_caller_or_leaves_the_connection_s_address() {
        let request = b"GET / HTTP/1.1\r\n";
        let cases: [(&[u8], Source); 4] = [
            (b"PROXY TCP4 198.51.100.7 10.0.0.5 51234 80\r\n", caller("198.51.100.7:51234")),
            (b"PROXY TCP6 2001:db8::7 2001:db8::1 4711 443\r\n", caller("[2001:db8::7]:4711")),
            (b"PROXY UNKNOWN\r\n", Source::Proxy),
            (b"PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n", Source::Proxy),
        ];
        for (header, source) in cases {
            let bytes = [header, &request[..]].concat();
            assert_eq!(parse(&bytes), Ok(Some((header.len(), source))), "{}", String::from_utf8_lossy(header));
        }
    }

    #[test]
    fn version_two_names_the_caller_skips_its_tlvs_and_knows_health_checks() {
        let ipv4 = [198, 51, 100, 7, 10, 0, 0, 5, 0xc8, 0x22, 0x00, 0x50];
        let header = v2(0x1, 0x11, &ipv4);
        let bytes = [&header[..], b"GET / HTTP/1.1\r\n"].concat();
        assert_eq!(parse(&bytes), Ok(Some((header.len(), caller("198.51.100.7:51234")))));
        let ipv6: Vec<u8> = ["2001:db8::7".parse::<Ipv6Addr>().expect("v6").octets(), Ipv6Addr::LOCALHOST.octets()]
            .concat()
            .into_iter()
            .chain([0x12, 0x67, 0x01, 0xbb])
            .collect();
        let header = v2(0x1, 0x21, &ipv6);
        assert_eq!(parse(&header), Ok(Some((header.len(), caller("[2001:db8::7]:4711")))));
        // LOCAL (the balancer's own health check) and a UNIX socket's addresses.
        assert_eq!(parse(&v2(0x0, 0x00, &[])), Ok(Some((21, Source::Proxy))));
        assert_eq!(parse(&v2(0x1, 0x31, &[0; 216])), Ok(Some((16 + 216 + 5, Source::Proxy))));
    }

    #[test]
    fn a_header_arriving_in_pieces_is_waited_for() {
        let v1 = b"PROXY TCP4 198.51.100.7 10.0.0.5 51234 80\r\n";
        let v2 = v2(0x1, 0x11, &[198, 51, 100, 7, 10, 0, 0, 5, 0xc8, 0x22, 0x00, 0x50]);
        for header in [&v1[..], &v2] {
            for cut in 0..header.len() {
                assert_eq!(parse(&header[..cut]), Ok(None), "{cut} bytes");
            }
            assert!(matches!(parse(header), Ok(Some(_))));
        }
    }

    #[test]
    fn anything_else_is_refused_with_the_reason() {
        let refusals: [(&[u8], &str); 9] = [
            (b"GET / HTTP/1.1\r\n", "does not begin with a PROXY protocol header"),
            (b"PROXY TCP4 198.51.100.7 10.0.0.5 51234\r\n", "malformed"),
            (b"PROXY TCP4 2001:db8::7 10.0.0.5 51234 80\r\n", "malformed"),
            (b"PROXY TCP6 2001:db8::7 10.0.0.5 51234 80\r\n", "malformed"),
            (b"PROXY TCP4 198.51.100.7 10.0.0.5 051234 80\r\n", "malformed"),
            (b"PROXY TCP4 198.51.100.7 10.0.0.5 65536 80\r\n", "malformed"),
            (b"PROXY UDP4 198.51.100.7 10.0.0.5 1 80\r\n", "malformed"),
            (b"PROXY TCP4  198.51.100.7 10.0.0.5 1 80\r\n", "malformed"),
            (&[b"PROXY TCP4 ", &[b'1'; 120][..]].concat(), "no CRLF within 107 bytes"),
        ];
        for (bytes, reason) in refusals {
            match parse(bytes) {
                Err(message) => assert!(message.contains(reason), "{message}"),
                other => panic!("{:?} was taken: {other:?}", String::from_utf8_lossy(bytes)),
            }
        }
        let mut version_3 = v2(0x1, 0x11, &[0; 12]);
        version_3[12] = 0x31;
        assert_eq!(parse(&version_3), Err("PROXY protocol version 3 is not one the gateway reads".into()));
        assert_eq!(parse(&v2(0x2, 0x11, &[0; 12])), Err("PROXY protocol v2 command 2 is not LOCAL or PROXY".into()));
        let short = v2(0x1, 0x21, &[0; 12]);
        assert!(parse(&short).is_err_and(|e| e.contains("too short for its IPv6")), "{:?}", parse(&short));
    }

    #[tokio::test]
    async fn the_bytes_after_the_header_are_kept_for_the_request() {
        let (mut proxy, mut gateway) = tokio::io::duplex(1024);
        let sent = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            proxy.write_all(b"PROXY TCP4 198.51.100.7 10.0.0.5 51234 80\r\nGET /pets HT").await.expect("write");
            proxy.write_all(b"TP/1.1\r\n\r\n").await.expect("write");
            proxy
        });
        let mut buf = BytesMut::new();
        assert_eq!(read(&mut gateway, &mut buf).await, Ok(Some(caller("198.51.100.7:51234"))));
        let _proxy = sent.await.expect("sent");
        let mut rest = buf.to_vec();
        while rest.len() < b"GET /pets HTTP/1.1\r\n\r\n".len() {
            let mut more = [0u8; 64];
            let n = gateway.read(&mut more).await.expect("read");
            rest.extend_from_slice(&more[..n]);
        }
        assert_eq!(rest, b"GET /pets HTTP/1.1\r\n\r\n");

        // Closed halfway through the header, or before it began (a TCP health check).
        let (mut proxy, mut gateway) = tokio::io::duplex(1024);
        {
            use tokio::io::AsyncWriteExt;
            proxy.write_all(b"PROXY TCP4 198.51").await.expect("write");
        }
        drop(proxy);
        let closed = read(&mut gateway, &mut BytesMut::new()).await;
        assert!(closed.is_err_and(|e| e.contains("closed before its PROXY protocol header was complete")));
        let (proxy, mut gateway) = tokio::io::duplex(1024);
        drop(proxy);
        assert_eq!(read(&mut gateway, &mut BytesMut::new()).await, Ok(None));
    }
}
