//! Where the platform may call out to: a partner's webhook URL is someone else's text, so an
//! administrator (or whoever holds an administrator's token) could otherwise point it at the
//! platform's own network — the database, the broker, a cloud's metadata service — and read
//! the delivery results as a port scanner. A URL is checked when it is registered (its host,
//! and what the host resolves to now) and again at every send (the resolver below drops every
//! address that is not allowed, so a name that later resolves inward reaches nothing).
//!
//! Refused: loopback, private, link-local (cloud metadata at 169.254.169.254 among them),
//! shared (100.64.0.0/10, Alibaba Cloud's metadata at 100.100.100.200 among them), unique-local,
//! multicast, reserved and unspecified addresses, and every IPv6 form that carries such an
//! IPv4 address (mapped, compatible, NAT64, 6to4) — in any spelling the URL parser accepts
//! (decimal `2130706433`, hexadecimal, octal, short `127.1`). A partner on a private network
//! is admitted by listing its network in `notification.outbound_allow`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use tongban_kernel::Error;

/// The networks outbound calls may reach besides the public internet.
#[derive(Debug, Clone, Default)]
pub struct Outbound {
    allow: Vec<IpNet>,
}

impl Outbound {
    /// Public addresses only, plus the networks of `allow` (CIDR, `10.8.0.0/16`; a bare address
    /// is one host).
    pub fn new(allow: &[String]) -> anyhow::Result<Self> {
        let allow = allow
            .iter()
            .map(|text| {
                let text = text.trim();
                text.parse::<IpNet>()
                    .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "notification.outbound_allow: {text:?} is neither a network (10.8.0.0/16) nor an address"
                        )
                    })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { allow })
    }

    /// Whether a call may go to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        !internal(ip) || self.allow.iter().any(|net| net.contains(&ip))
    }

    /// Checks a URL being registered: an http(s) URL without user name or password whose host
    /// is, or now resolves to, only addresses calls may go to. A host that does not resolve
    /// (yet) is accepted: it is checked again at every send. The error names `field`.
    pub async fn check(&self, field: &str, url: &Url) -> Result<(), Error> {
        self.check_literal(url)
            .map_err(|why| Error::unprocessable(field, why))?;
        let Some(url::Host::Domain(host)) = url.host() else {
            return Ok(());
        };
        // Not resolving is no refusal: the partner may not be in DNS yet.
        let Ok(addresses) = tokio::net::lookup_host((host, 0)).await else {
            return Ok(());
        };
        match addresses.map(|a| a.ip()).find(|ip| !self.permits(*ip)) {
            Some(_) => Err(Error::unprocessable(
                field,
                format!(
                    "{host} resolves to an address of a private or internal network; partners are reached on public addresses (or networks the operator allows)"
                ),
            )),
            None => Ok(()),
        }
    }

    /// What is wrong with `url` without resolving it: a scheme other than http(s), a user
    /// name or password, or a host that is an address calls may not go to. Checked at
    /// registration and before every send (a literal address is never given to the resolver).
    pub fn check_literal(&self, url: &Url) -> Result<(), String> {
        if !["http", "https"].contains(&url.scheme()) {
            return Err("an http(s) URL".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("a URL may not carry a user name or password".into());
        }
        let ip = match url.host() {
            None => return Err("an http(s) URL with a host".into()),
            Some(url::Host::Domain(_)) => return Ok(()),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        };
        if self.permits(ip) {
            Ok(())
        } else {
            Err(format!(
                "{ip} is an address of a private or internal network; partners are reached on public addresses (or networks the operator allows)"
            ))
        }
    }

    /// A resolver for outbound HTTP clients that keeps only the addresses calls may go to: a
    /// name resolving only inward fails to resolve.
    pub fn resolver(&self) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver {
            outbound: self.clone(),
        })
    }
}

/// The system resolver, filtered by [`Outbound::permits`].
pub struct GuardedResolver {
    outbound: Outbound,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let outbound = self.outbound.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            // The port is the URL's: the connector sets it on each address.
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| outbound.permits(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host}: no address calls may go to").into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// Whether `ip` belongs to a network that is not the public internet.
pub fn internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => internal_v6(v6),
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || a == 0 // "this network"
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT, cloud metadata)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || ip.is_multicast()
        || a >= 240 // reserved and broadcast
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    if let Some(v4) = embedded_v4(ip) {
        return internal_v4(v4);
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local (fc00::/7)
        || (segments[0] & 0xffc0) == 0xfe80 // link-local (fe80::/10)
        || (segments[0] & 0xffc0) == 0xfec0 // site-local, deprecated (fec0::/10)
        || (segments[0] == 0x2001 && segments[1] == 0) // Teredo: hides the address it reaches
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
}

/// The IPv4 address an IPv6 address carries: mapped (`::ffff:a.b.c.d`), compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:AABB:CCDD::`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        return Some(low);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(low);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(outbound: &Outbound, url: &str) -> bool {
        outbound.check_literal(&Url::parse(url).unwrap()).is_err()
    }

    #[test]
    fn inward_addresses_are_refused_in_every_spelling() {
        let outbound = Outbound::default();
        for url in [
            "http://127.0.0.1:18081/hook",
            "http://2130706433/", // decimal
            "http://0x7f000001/", // hexadecimal
            "http://0177.0.0.1/", // octal
            "http://127.1/",      // short form
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/", // IPv4-mapped
            "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/",      // IPv4-compatible
            "http://[64:ff9b::a00:1]/",   // NAT64 of 10.0.0.1
            "http://[2002:c0a8:101::1]/", // 6to4 of 192.168.1.1
            "http://[fd00:ec2::254]/",    // unique local (AWS metadata over IPv6)
            "http://[fe80::1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.100.100.200/latest/meta-data/", // Alibaba Cloud metadata
            "http://10.0.0.8/",
            "http://172.16.5.4/",
            "http://192.168.1.1/",
            "http://0.0.0.0/",
            "http://partner.example.cn@127.0.0.1/", // userinfo: the host is what follows @
            "http://user:secret@partner.example.cn/", // userinfo at all
            "ftp://partner.example.cn/",
        ] {
            assert!(refused(&outbound, url), "{url} was let through");
        }
        for url in [
            "https://partner.example.cn/hook",
            "http://8.8.8.8/",
            "http://[2400:3200::1]/",
            "http://100.128.0.1/", // just past the shared space
            "http://172.32.0.1/",  // just past 172.16/12
        ] {
            assert!(!refused(&outbound, url), "{url} was refused");
        }
    }

    #[test]
    fn the_allow_list_admits_a_partner_on_a_private_network() {
        let outbound = Outbound::new(&["10.8.0.0/16".into(), "127.0.0.1".into()]).unwrap();
        assert!(!refused(&outbound, "http://10.8.3.4/"));
        assert!(!refused(&outbound, "http://127.0.0.1:9000/"));
        assert!(refused(&outbound, "http://10.9.0.1/"));
        assert!(refused(&outbound, "http://127.0.0.2/"));
        let err = Outbound::new(&["intranet".into()]).unwrap_err();
        assert!(err.to_string().contains("outbound_allow"), "{err}");
    }

    #[tokio::test]
    async fn a_name_is_judged_by_what_it_resolves_to() {
        let outbound = Outbound::default();
        let err = outbound
            .check("url", &Url::parse("http://localhost:8080/").unwrap())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Unprocessable { field, .. } if field == "url"),
            "{err}"
        );
        // A name that does not resolve is accepted now and checked when sending.
        outbound
            .check("url", &Url::parse("https://partner.invalid/").unwrap())
            .await
            .unwrap();
        // The resolver drops inward addresses: localhost resolves to nothing calls may reach.
        let resolving = outbound.resolver().resolve("localhost".parse().unwrap());
        assert!(resolving.await.is_err());
    }
}
