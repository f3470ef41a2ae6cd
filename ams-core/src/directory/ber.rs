//! The few BER/DER pieces the directory code builds and reads itself (control values), so a
//! malformed value from a server is an error, never a panic.

/// A tag-length-value with a definite length.
pub fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = value.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(value);
    out
}

/// An INTEGER in its shortest two's-complement form.
pub fn integer(v: i64) -> Vec<u8> {
    let b = v.to_be_bytes();
    let mut start = 0;
    while start < 7 && ((b[start] == 0 && b[start + 1] & 0x80 == 0) || (b[start] == 0xff && b[start + 1] & 0x80 != 0)) {
        start += 1;
    }
    tlv(0x02, &b[start..])
}

/// Reads one element: its tag, its value and what follows it. `None` when it is truncated or
/// uses an indefinite or over-long length.
pub fn read(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = data.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, b| (a << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_reads() {
        assert_eq!(integer(0), vec![2, 1, 0]);
        assert_eq!(integer(4), vec![2, 1, 4]);
        assert_eq!(integer(128), vec![2, 2, 0, 128]);
        assert_eq!(integer(-1), vec![2, 1, 0xff]);
        let long = tlv(0x04, &[7u8; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let (t, v, rest) = read(&long).unwrap();
        assert_eq!((t, v.len(), rest.len()), (0x04, 300, 0));
        assert!(read(&long[..100]).is_none());
        assert!(read(&[0x30, 0x80]).is_none());
    }
}
