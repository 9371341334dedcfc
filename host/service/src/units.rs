//! Sizes and durations as people write them (`256M`, `30s`), read from the tenants
//! file, query strings and request bodies, each refused with what was expected.

use std::time::Duration;

/// A size in bytes: a whole number, or one with a K, M or G suffix (powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, shift) = match t.as_bytes().last() {
        Some(b'K' | b'k') => (&t[..t.len() - 1], 10),
        Some(b'M' | b'm') => (&t[..t.len() - 1], 20),
        Some(b'G' | b'g') => (&t[..t.len() - 1], 30),
        _ => (t, 0),
    };
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| {
            format!(
                "expected a size in bytes such as 65536, 64K, 16M or 2G, got `{}`",
                shorten(text)
            )
        })
}

/// A duration: seconds (`2`, `0.5`), or a number with a unit (`500ms`, `2s`, `1m`,
/// `1h`). Zero is allowed (a wait of zero answers at once).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale = match unit.trim() {
        "" | "s" => 1.0,
        "ms" => 1e-3,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => f64::NAN,
    };
    number
        .parse::<f64>()
        .ok()
        .and_then(|n| Duration::try_from_secs_f64(n * scale).ok())
        .ok_or_else(|| {
            format!(
                "expected a duration such as 30, 500ms, 2s, 1m or 1h, got `{}`",
                shorten(text)
            )
        })
}

/// A duration given in seconds as a JSON or TOML number.
pub fn seconds(n: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(n)
        .map_err(|_| format!("expected a duration of 0 or more seconds, got {n}"))
}

/// At most 40 characters of text a user gave, for an error message.
pub fn shorten(text: &str) -> String {
    shorten_to(text, 40)
}

/// At most `n` characters of text a user gave, with control characters escaped.
pub fn shorten_to(text: &str, n: usize) -> String {
    let escaped = wask_core::escape_control(text);
    if escaped.chars().count() > n {
        let cut: String = escaped.chars().take(n).collect();
        format!("{cut}…")
    } else {
        escaped
    }
}

/// A size written the way the tenants file and request bodies take it: a number of
/// bytes, or text with a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

impl<'de> serde::Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Size;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a size in bytes such as 65536, \"64K\", \"16M\" or \"2G\"")
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Size, E> {
                Ok(Size(n))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Size, E> {
                u64::try_from(n)
                    .map(Size)
                    .map_err(|_| E::custom(format!("expected a size of 0 or more bytes, got {n}")))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Size, E> {
                parse_size(s).map(Size).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A duration written as seconds (a number) or as text with a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dur(pub Duration);

impl<'de> serde::Deserialize<'de> for Dur {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Dur;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a duration: seconds, or text such as \"500ms\", \"2s\" or \"1m\"")
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Dur, E> {
                Ok(Dur(Duration::from_secs(n)))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Dur, E> {
                u64::try_from(n)
                    .map(|n| Dur(Duration::from_secs(n)))
                    .map_err(|_| {
                        E::custom(format!("expected a duration of 0 or more seconds, got {n}"))
                    })
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Dur, E> {
                seconds(n).map(Dur).map_err(E::custom)
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Dur, E> {
                parse_duration(s).map(Dur).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size(" 2g "), Ok(2 << 30));
        assert!(parse_size("-1").unwrap_err().contains("`-1`"));
        assert!(parse_size("99999999999999G").is_err());
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("soon").unwrap_err().contains("`soon`"));
        assert!(parse_duration("1e400").is_err());
        assert!(seconds(-1.0).is_err());
        assert!(seconds(f64::NAN).is_err());
    }
}
