//! Ranges of IP addresses, as an API's address filter and a gateway's trusted proxies name
//! them: `192.0.2.0/24`, `2001:db8::/32`, or one address. Parsed the same by the server that
//! checks a setting and the gateway that applies it.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// A network: the addresses whose first `prefix` bits are `network`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// Whether `address` is in the range. An IPv4 address written as IPv6 (`::ffff:192.0.2.1`,
    /// as a dual-stack socket reports it) is the IPv4 address.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        address.is_ipv4() == self.network.is_ipv4() && masked(address, self.prefix) == self.network
    }
}

/// `address` with all but its first `prefix` bits cleared (`prefix` at most its length).
fn masked(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(a) => IpAddr::V4((u32::from(a) & u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)).into()),
        IpAddr::V6(a) => {
            IpAddr::V6((u128::from(a) & u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)).into())
        }
    }
}

impl FromStr for IpRange {
    type Err = String;

    /// `192.0.2.0/24`, `2001:db8::/32` or one address; the network is kept with its host bits
    /// cleared, so `192.0.2.7/24` reads back as `192.0.2.0/24`.
    fn from_str(text: &str) -> Result<IpRange, String> {
        let wrong = || format!("`{text}` is not an IP address or range (like 192.0.2.0/24 or 2001:db8::/32)");
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let address: IpAddr = address.parse().map_err(|_| wrong())?;
        let address = address.to_canonical();
        let most = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.parse::<u8>().ok().filter(|p| *p <= most).ok_or_else(wrong)?,
            None => most,
        };
        Ok(IpRange { network: masked(address, prefix), prefix })
    }
}

impl fmt::Display for IpRange {
    /// One address alone; a range with its prefix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.network, self.prefix) {
            (IpAddr::V4(_), 32) | (IpAddr::V6(_), 128) => write!(f, "{}", self.network),
            _ => write!(f, "{}/{}", self.network, self.prefix),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> IpRange {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn ranges_hold_the_addresses_their_prefix_covers() {
        let cases = [
            ("192.0.2.0/24", "192.0.2.77", true),
            ("192.0.2.0/24", "192.0.3.1", false),
            ("192.0.2.7", "192.0.2.7", true),
            ("192.0.2.7", "192.0.2.8", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("192.0.2.0/24", "::ffff:192.0.2.1", true),
            ("2001:db8::/32", "2001:db8:1::1", true),
            ("2001:db8::/32", "2001:db9::1", false),
            ("::/0", "::1", true),
            ("192.0.2.0/24", "2001:db8::1", false),
            ("::/0", "192.0.2.1", false),
        ];
        for (network, address, inside) in cases {
            assert_eq!(range(network).contains(ip(address)), inside, "{address} in {network}");
        }
    }

    #[test]
    fn ranges_read_back_tidied_and_nonsense_is_refused() {
        for (text, tidied) in [
            (" 192.0.2.7/24 ", "192.0.2.0/24"),
            ("192.0.2.7/32", "192.0.2.7"),
            ("2001:DB8::1/32", "2001:db8::/32"),
            ("::ffff:192.0.2.1", "192.0.2.1"),
        ] {
            assert_eq!(range(text).to_string(), tidied, "{text}");
        }
        for text in ["", "192.0.2.0/33", "192.0.2/24", "10.0.0.0/-1", "localhost", "2001:db8::/129"] {
            assert_eq!(
                text.parse::<IpRange>(),
                Err(format!("`{text}` is not an IP address or range (like 192.0.2.0/24 or 2001:db8::/32)"))
            );
        }
    }
}
