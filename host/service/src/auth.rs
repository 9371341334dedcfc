//! Tokens: how a request says who it is for.
//!
//! A request carries `Authorization: Bearer TOKEN`. The service keeps only each
//! token's SHA-256 (a [`TokenHash`]), hashes the token it is given, and compares that
//! hash with every known one in constant time, without stopping at a match, so the
//! time an answer takes says nothing about which tokens exist. Tokens are never
//! logged; a refused request is logged without its token.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The SHA-256 of a token: what the tenants file holds instead of the token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash([u8; 32]);

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(…)")
    }
}

impl std::fmt::Display for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256:{}", hex(&self.0))
    }
}

impl std::str::FromStr for TokenHash {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let expected = "expected `sha256:` and 64 hex digits, the SHA-256 of the token (`host token` prints a new token and its hash)";
        let digits = text
            .strip_prefix("sha256:")
            .ok_or_else(|| expected.to_owned())?;
        parse_hex32(digits)
            .map(TokenHash)
            .ok_or_else(|| expected.to_owned())
    }
}

impl TokenHash {
    /// The hash of a token as a client presents it.
    pub fn of(token: &str) -> TokenHash {
        TokenHash(Sha256::digest(token.as_bytes()).into())
    }
}

/// A new random token (256 bits, as 64 hex digits) for the tenants file's operator.
pub fn new_token() -> Result<String, std::io::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(format!("wask_{}", hex(&bytes)))
}

/// The index in `known` of the hash equal to `presented`, found by comparing every
/// entry in constant time.
pub fn find_token(presented: &TokenHash, known: &[TokenHash]) -> Option<usize> {
    let mut found = None;
    for (index, hash) in known.iter().enumerate() {
        if bool::from(hash.0.ct_eq(&presented.0)) {
            found = Some(index);
        }
    }
    found
}

/// The token in an `Authorization` header's value, if it is a bearer token.
pub fn bearer(header: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(header).ok()?;
    let (scheme, token) = text.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// 32 bytes from exactly 64 hex digits (either case).
pub fn parse_hex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn hashes_parse_print_and_match() {
        let token = new_token().unwrap();
        let hash = TokenHash::of(&token);
        let text = hash.to_string();
        assert_eq!(text.parse::<TokenHash>(), Ok(hash));
        assert_eq!(format!("{hash:?}"), "TokenHash(…)");
        let other = TokenHash::of("another");
        assert_eq!(find_token(&hash, &[other, hash]), Some(1));
        assert_eq!(find_token(&TokenHash::of("x"), &[other, hash]), None);
        assert!("sha256:12".parse::<TokenHash>().is_err());
        assert!(
            "md5:0000000000000000000000000000000000000000000000000000000000000000"
                .parse::<TokenHash>()
                .unwrap_err()
                .contains("host token")
        );
    }

    #[test]
    fn bearer_headers() {
        assert_eq!(bearer(b"Bearer abc"), Some("abc"));
        assert_eq!(bearer(b"bearer  abc "), Some("abc"));
        assert_eq!(bearer(b"Basic abc"), None);
        assert_eq!(bearer(b"Bearer "), None);
        assert_eq!(bearer(&[0xff, 0xfe]), None);
    }
}
