//! A compact, self-describing binary encoding of values, for spilling objects to disk
//! and for sending them between machines.
//!
//! An encoding starts with one version byte ([`CODEC_VERSION`]); a decoder refuses any
//! other version by name. Then each value is a tag byte and its payload; lengths and
//! integers are little-endian fixed width. Decoding needs no type: the tags say what
//! each value is. Bytes (a `list<u8>`) are written as one length and the raw bytes, so
//! bulk data costs a copy, not a tag per byte. Values nest at most [`MAX_DEPTH`] deep,
//! so no input can exhaust the decoder's stack.

use crate::value::Value as Val;

/// The version of the encoding this build writes and reads.
pub const CODEC_VERSION: u8 = 1;

/// How deeply encoded values may nest (lists in lists, say).
pub const MAX_DEPTH: usize = 256;

/// Why bytes are not an encoded value, or a value cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("encoded value is cut short at byte {0}")]
    Truncated(usize),
    #[error("unknown value tag {tag} at byte {at}")]
    BadTag { tag: u8, at: usize },
    #[error("invalid {what} at byte {at}")]
    Invalid { what: &'static str, at: usize },
    #[error("{0} bytes left over after the value")]
    Trailing(usize),
    #[error("encoded value has version {found}, but this build reads version {expected} only")]
    Version { found: u8, expected: u8 },
    #[error("encoded value nests deeper than {MAX_DEPTH} levels at byte {0}")]
    TooDeep(usize),
}

mod tag {
    pub const BOOL: u8 = 1;
    pub const S8: u8 = 2;
    pub const U8: u8 = 3;
    pub const S16: u8 = 4;
    pub const U16: u8 = 5;
    pub const S32: u8 = 6;
    pub const U32: u8 = 7;
    pub const S64: u8 = 8;
    pub const U64: u8 = 9;
    pub const F32: u8 = 10;
    pub const F64: u8 = 11;
    pub const CHAR: u8 = 12;
    pub const STRING: u8 = 13;
    pub const LIST: u8 = 14;
    /// A list whose every element is a `u8`: its bytes follow raw.
    pub const BYTES: u8 = 15;
    pub const MAP: u8 = 16;
    pub const RECORD: u8 = 17;
    pub const TUPLE: u8 = 18;
    pub const VARIANT: u8 = 19;
    pub const ENUM: u8 = 20;
    pub const OPTION: u8 = 21;
    pub const RESULT_OK: u8 = 22;
    pub const RESULT_ERR: u8 = 23;
    pub const FLAGS: u8 = 24;
    pub const FIXED_LIST: u8 = 25;
}

/// Encodes a value; see the module docs for the format.
pub fn encode_value(value: &Val) -> Result<Vec<u8>, CodecError> {
    let mut out = vec![CODEC_VERSION];
    encode(value, &mut out, 0)?;
    Ok(out)
}

/// Decodes what [`encode_value`] wrote.
pub fn decode_value(bytes: &[u8]) -> Result<Val, CodecError> {
    let Some((&version, _)) = bytes.split_first() else {
        return Err(CodecError::Truncated(0));
    };
    if version != CODEC_VERSION {
        return Err(CodecError::Version {
            found: version,
            expected: CODEC_VERSION,
        });
    }
    let mut reader = Reader {
        bytes,
        at: 1,
        depth: 0,
    };
    let value = reader.value()?;
    match bytes.len() - reader.at {
        0 => Ok(value),
        n => Err(CodecError::Trailing(n)),
    }
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u64).to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn put_opt(out: &mut Vec<u8>, v: Option<&Val>, depth: usize) -> Result<(), CodecError> {
    match v {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            encode(v, out, depth)?;
        }
    }
    Ok(())
}

fn encode(value: &Val, out: &mut Vec<u8>, depth: usize) -> Result<(), CodecError> {
    // The same bound as the decoder's: whatever encodes, decodes.
    if depth >= MAX_DEPTH {
        return Err(CodecError::TooDeep(out.len()));
    }
    let depth = depth + 1;
    match value {
        Val::Bool(b) => out.extend_from_slice(&[tag::BOOL, u8::from(*b)]),
        Val::S8(n) => out.extend_from_slice(&[tag::S8, n.cast_unsigned()]),
        Val::U8(n) => out.extend_from_slice(&[tag::U8, *n]),
        Val::S16(n) => {
            out.push(tag::S16);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Val::U16(n) => {
            out.push(tag::U16);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Val::S32(n) => {
            out.push(tag::S32);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Val::U32(n) => {
            out.push(tag::U32);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Val::S64(n) => {
            out.push(tag::S64);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Val::U64(n) => {
            out.push(tag::U64);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Val::Float32(f) => {
            out.push(tag::F32);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Val::Float64(f) => {
            out.push(tag::F64);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Val::Char(c) => {
            out.push(tag::CHAR);
            out.extend_from_slice(&u32::from(*c).to_le_bytes());
        }
        Val::String(s) => {
            out.push(tag::STRING);
            put_str(out, s);
        }
        Val::Bytes(bytes) => {
            out.push(tag::BYTES);
            put_len(out, bytes.len());
            out.extend_from_slice(bytes);
        }
        Val::List(items) | Val::Tuple(items) | Val::FixedLengthList(items) => {
            out.push(match value {
                Val::List(_) => tag::LIST,
                Val::Tuple(_) => tag::TUPLE,
                _ => tag::FIXED_LIST,
            });
            put_len(out, items.len());
            for item in items {
                encode(item, out, depth)?;
            }
        }
        Val::Map(entries) => {
            out.push(tag::MAP);
            put_len(out, entries.len());
            for (k, v) in entries {
                encode(k, out, depth)?;
                encode(v, out, depth)?;
            }
        }
        Val::Record(fields) => {
            out.push(tag::RECORD);
            put_len(out, fields.len());
            for (name, v) in fields {
                put_str(out, name);
                encode(v, out, depth)?;
            }
        }
        Val::Variant(case, payload) => {
            out.push(tag::VARIANT);
            put_str(out, case);
            put_opt(out, payload.as_deref(), depth)?;
        }
        Val::Enum(case) => {
            out.push(tag::ENUM);
            put_str(out, case);
        }
        Val::Option(v) => {
            out.push(tag::OPTION);
            put_opt(out, v.as_deref(), depth)?;
        }
        Val::Result(Ok(v)) => {
            out.push(tag::RESULT_OK);
            put_opt(out, v.as_deref(), depth)?;
        }
        Val::Result(Err(v)) => {
            out.push(tag::RESULT_ERR);
            put_opt(out, v.as_deref(), depth)?;
        }
        Val::Flags(names) => {
            out.push(tag::FLAGS);
            put_len(out, names.len());
            for name in names {
                put_str(out, name);
            }
        }
    }
    Ok(())
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], CodecError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(CodecError::Truncated(self.at))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }

    fn len(&mut self) -> Result<usize, CodecError> {
        let at = self.at;
        let n = u64::from_le_bytes(self.array()?);
        // A length can never exceed the bytes left: this stops absurd allocations.
        usize::try_from(n)
            .ok()
            .filter(|n| *n <= self.bytes.len() - self.at)
            .ok_or(CodecError::Invalid { what: "length", at })
    }

    fn string(&mut self) -> Result<String, CodecError> {
        let n = self.len()?;
        let at = self.at;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| CodecError::Invalid {
            what: "UTF-8 string",
            at,
        })
    }

    fn opt(&mut self) -> Result<Option<Box<Val>>, CodecError> {
        let at = self.at;
        match self.array::<1>()?[0] {
            0 => Ok(None),
            1 => Ok(Some(Box::new(self.value()?))),
            _ => Err(CodecError::Invalid {
                what: "option marker",
                at,
            }),
        }
    }

    fn values(&mut self) -> Result<Vec<Val>, CodecError> {
        let n = self.len()?;
        (0..n).map(|_| self.value()).collect()
    }

    fn value(&mut self) -> Result<Val, CodecError> {
        if self.depth >= MAX_DEPTH {
            return Err(CodecError::TooDeep(self.at));
        }
        self.depth += 1;
        let value = self.value_inner();
        self.depth -= 1;
        value
    }

    fn value_inner(&mut self) -> Result<Val, CodecError> {
        let at = self.at;
        let tag = self.array::<1>()?[0];
        Ok(match tag {
            tag::BOOL => match self.array::<1>()?[0] {
                0 => Val::Bool(false),
                1 => Val::Bool(true),
                _ => return Err(CodecError::Invalid { what: "bool", at }),
            },
            tag::S8 => Val::S8(self.array::<1>()?[0].cast_signed()),
            tag::U8 => Val::U8(self.array::<1>()?[0]),
            tag::S16 => Val::S16(i16::from_le_bytes(self.array()?)),
            tag::U16 => Val::U16(u16::from_le_bytes(self.array()?)),
            tag::S32 => Val::S32(i32::from_le_bytes(self.array()?)),
            tag::U32 => Val::U32(u32::from_le_bytes(self.array()?)),
            tag::S64 => Val::S64(i64::from_le_bytes(self.array()?)),
            tag::U64 => Val::U64(u64::from_le_bytes(self.array()?)),
            tag::F32 => Val::Float32(f32::from_bits(u32::from_le_bytes(self.array()?))),
            tag::F64 => Val::Float64(f64::from_bits(u64::from_le_bytes(self.array()?))),
            tag::CHAR => Val::Char(
                char::from_u32(u32::from_le_bytes(self.array()?))
                    .ok_or(CodecError::Invalid { what: "char", at })?,
            ),
            tag::STRING => Val::String(self.string()?),
            tag::BYTES => {
                let n = self.len()?;
                Val::Bytes(self.take(n)?.into())
            }
            tag::LIST => Val::List(self.values()?),
            tag::TUPLE => Val::Tuple(self.values()?),
            tag::FIXED_LIST => Val::FixedLengthList(self.values()?),
            tag::MAP => {
                let n = self.len()?;
                Val::Map(
                    (0..n)
                        .map(|_| Ok((self.value()?, self.value()?)))
                        .collect::<Result<_, CodecError>>()?,
                )
            }
            tag::RECORD => {
                let n = self.len()?;
                Val::Record(
                    (0..n)
                        .map(|_| Ok((self.string()?, self.value()?)))
                        .collect::<Result<_, CodecError>>()?,
                )
            }
            tag::VARIANT => Val::Variant(self.string()?, self.opt()?),
            tag::ENUM => Val::Enum(self.string()?),
            tag::OPTION => Val::Option(self.opt()?),
            tag::RESULT_OK => Val::Result(Ok(self.opt()?)),
            tag::RESULT_ERR => Val::Result(Err(self.opt()?)),
            tag::FLAGS => {
                let n = self.len()?;
                Val::Flags((0..n).map(|_| self.string()).collect::<Result<_, _>>()?)
            }
            tag => return Err(CodecError::BadTag { tag, at }),
        })
    }
}

#[cfg(test)]
mod test;
