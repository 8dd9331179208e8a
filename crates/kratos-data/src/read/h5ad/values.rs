//! Attribute values and raw numbers of an `.h5ad` file, decoded.

use super::*;
/// The text of a string attribute (scalar or one-element array).
pub(super) fn attr_string(value: &AttrValue) -> Option<String> {
    match value {
        AttrValue::String(s)
        | AttrValue::AsciiString(s)
        | AttrValue::VarLenString(s)
        | AttrValue::VarLenAsciiString(s) => Some(s.clone()),
        AttrValue::StringSized { value, .. } | AttrValue::AsciiStringSized { value, .. } => {
            Some(value.clone())
        }
        AttrValue::StringArray(v)
        | AttrValue::AsciiStringArray(v)
        | AttrValue::VarLenStringArray(v)
        | AttrValue::VarLenAsciiStringArray(v)
            if v.len() == 1 =>
        {
            Some(v[0].clone())
        }
        _ => None,
    }
}

/// The integers of an integer-array attribute (e.g. `shape`).
pub(super) fn attr_integers(value: &AttrValue) -> Option<Vec<i64>> {
    Some(match value {
        AttrValue::I64Array(v) => v.clone(),
        AttrValue::I32Array(v) => v.iter().map(|&x| i64::from(x)).collect(),
        AttrValue::U32Array(v) => v.iter().map(|&x| i64::from(x)).collect(),
        AttrValue::U64Array(v) => v.iter().map(|&x| x as i64).collect(),
        AttrValue::I16Array(v) => v.iter().map(|&x| i64::from(x)).collect(),
        AttrValue::U16Array(v) => v.iter().map(|&x| i64::from(x)).collect(),
        _ => return None,
    })
}

/// Reads a little- or big-endian integer of 1 to 8 bytes (callers check the width).
pub(super) fn read_int(bytes: &[u8], signed: bool, big_endian: bool) -> i64 {
    let mut buf = [0u8; 8];
    let n = bytes.len().min(8);
    let bytes = &bytes[..n];
    if big_endian {
        for (i, &b) in bytes.iter().rev().enumerate() {
            buf[i] = b;
        }
    } else {
        buf[..n].copy_from_slice(bytes);
    }
    let unsigned = u64::from_le_bytes(buf);
    if signed && n < 8 {
        let shift = 64 - 8 * n as u32;
        ((unsigned << shift) as i64) >> shift
    } else {
        unsigned as i64
    }
}

/// A fixed-length string field: up to the first NUL (or trailing spaces for space padding).
pub(super) fn fixed_string(
    bytes: &[u8],
    padding: &StringPadding,
) -> std::result::Result<String, std::str::Utf8Error> {
    let end = match padding {
        StringPadding::SpacePad => bytes.iter().rposition(|&b| b != b' ').map_or(0, |p| p + 1),
        _ => bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len()),
    };
    std::str::from_utf8(&bytes[..end]).map(str::to_string)
}

/// A number stored as `dt` (an integer or an IEEE float of 4 or 8 bytes) in `bytes`, or `None`
/// for any other type or a width that does not match.
pub(super) fn read_number(bytes: &[u8], dt: &Datatype) -> Option<f64> {
    match dt {
        Datatype::FloatingPoint {
            size, byte_order, ..
        } => {
            let big = matches!(byte_order, DatatypeByteOrder::BigEndian);
            match (*size, bytes.len()) {
                (4, 4) => {
                    let b: [u8; 4] = bytes.try_into().ok()?;
                    Some(f64::from(if big {
                        f32::from_be_bytes(b)
                    } else {
                        f32::from_le_bytes(b)
                    }))
                }
                (8, 8) => {
                    let b: [u8; 8] = bytes.try_into().ok()?;
                    Some(if big {
                        f64::from_be_bytes(b)
                    } else {
                        f64::from_le_bytes(b)
                    })
                }
                _ => None,
            }
        }
        Datatype::FixedPoint {
            size,
            byte_order,
            layout,
        } if matches!(size, 1 | 2 | 4 | 8) && *size as usize == bytes.len() => {
            let big = matches!(byte_order, DatatypeByteOrder::BigEndian);
            Some(read_int(bytes, layout.signed, big) as f64)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdf5_pure::{FixedPointLayout, make_f32_type, make_f64_type};

    #[test]
    fn integers_of_every_width_and_order() {
        assert_eq!(read_int(&[0xff], true, false), -1);
        assert_eq!(read_int(&[0xff], false, false), 255);
        assert_eq!(read_int(&[0x01, 0x00], false, true), 256);
        assert_eq!(read_int(&[0xfe, 0xff, 0xff, 0xff], true, false), -2);
        // a width over 8 bytes reads its first 8 instead of panicking
        assert_eq!(read_int(&[1; 12], false, false), 0x0101_0101_0101_0101);
    }

    #[test]
    fn numbers_need_a_matching_width() {
        assert_eq!(
            read_number(&1.5f32.to_le_bytes(), &make_f32_type()),
            Some(1.5)
        );
        assert_eq!(
            read_number(&(-2.0f64).to_le_bytes(), &make_f64_type()),
            Some(-2.0)
        );
        assert_eq!(read_number(&[0; 3], &make_f32_type()), None);
        let i16_be = Datatype::FixedPoint {
            size: 2,
            byte_order: DatatypeByteOrder::BigEndian,
            layout: FixedPointLayout {
                signed: true,
                bit_offset: 0,
                bit_precision: 16,
            },
        };
        assert_eq!(read_number(&[0xff, 0xfe], &i16_be), Some(-2.0));
        assert_eq!(read_number(&[0, 0, 0], &i16_be), None);
    }

    #[test]
    fn name_lists() {
        assert_eq!(name_list(&[]), "none");
        assert_eq!(name_list(&["a".into(), "b".into()]), "`a`, `b`");
    }
}
