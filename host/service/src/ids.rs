//! Ids as the API spells them: a task's or object's id is its [`ObjectId`] (store and
//! index) in 32 hex digits; a component's is `sha256:` and the 64 hex digits of its
//! bytes' SHA-256 (its content id).

use wask_core::ObjectId;

use crate::auth::{hex, parse_hex32};

/// A component's content id: the SHA-256 of its bytes.
pub type Digest = [u8; 32];

/// An object id as 32 hex digits.
pub fn object_id(id: ObjectId) -> String {
    format!("{:016x}{:016x}", id.store(), id.as_u64())
}

/// The object id that [`object_id`] wrote, if `text` is one.
pub fn parse_object_id(text: &str) -> Option<ObjectId> {
    if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let store = u64::from_str_radix(&text[..16], 16).ok()?;
    let index = u64::from_str_radix(&text[16..], 16).ok()?;
    Some(ObjectId::new(store, index))
}

/// A component's content id, `sha256:…`.
pub fn component_id(digest: &Digest) -> String {
    format!("sha256:{}", hex(digest))
}

/// The digest in a content id; the bare 64 hex digits are taken too.
pub fn parse_component_id(text: &str) -> Option<Digest> {
    parse_hex32(text.strip_prefix("sha256:").unwrap_or(text))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let id = ObjectId::new(0xdead_beef, 42);
        let text = object_id(id);
        assert_eq!(text, "00000000deadbeef000000000000002a");
        assert_eq!(parse_object_id(&text), Some(id));
        assert_eq!(parse_object_id("00000000deadbeef00000000000000+a"), None);
        assert_eq!(parse_object_id("zz"), None);
        let digest = [7u8; 32];
        assert_eq!(parse_component_id(&component_id(&digest)), Some(digest));
        assert_eq!(parse_component_id("sha256:07"), None);
    }
}
