//! Opening text inputs: gzip is detected by its magic bytes (not by the file name), and a UTF-8
//! byte-order mark at the start of the text is skipped.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::{DataError, Result};

/// The two magic bytes every gzip member starts with (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// The UTF-8 encoding of U+FEFF, written at the start of text files by some Windows tools.
const UTF8_BOM: [u8; 3] = [0xef, 0xbb, 0xbf];
/// Large enough for the csv parser to see long header lines in few refills.
const BUFFER_BYTES: usize = 256 * 1024;

/// A decoded text stream plus whether it came out of gzip (to word errors).
pub(crate) struct TextInput {
    pub(crate) reader: Box<dyn BufRead>,
    pub(crate) gzip: bool,
}

/// True when the first bytes of the file are the gzip magic.
pub(crate) fn is_gzip_file(path: &Path) -> Result<bool> {
    let mut file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match file.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(DataError::io(path, e)),
        }
    }
    Ok(got == 2 && magic == GZIP_MAGIC)
}

/// Opens `path` for reading text: decompresses gzip (by magic bytes) and skips a UTF-8 BOM.
pub(crate) fn open_text(path: &Path) -> Result<TextInput> {
    let gzip = is_gzip_file(path)?;
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let raw: Box<dyn Read> = if gzip {
        Box::new(MultiGzDecoder::new(BufReader::with_capacity(
            BUFFER_BYTES,
            file,
        )))
    } else {
        Box::new(file)
    };
    let mut reader = BufReader::with_capacity(BUFFER_BYTES, raw);
    // Skip a BOM without consuming anything else, so that callers can still peek at the
    // buffered start of the text (e.g. to sniff the delimiter).
    let buf = loop {
        match reader.fill_buf() {
            Ok(b) => break b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(path, gzip, None, e)),
        }
    };
    if buf.starts_with(&UTF8_BOM) {
        reader.consume(3);
    } else if !buf.is_empty() && buf.len() < 3 && UTF8_BOM.starts_with(buf) {
        // The decoder handed over only part of what may be a BOM: read the rest byte-wise.
        let mut head = buf.to_vec();
        let n = head.len();
        reader.consume(n);
        while head.len() < 3 {
            let more = reader
                .fill_buf()
                .map_err(|e| read_error(path, gzip, None, e))?;
            if more.is_empty() {
                break;
            }
            head.push(more[0]);
            reader.consume(1);
        }
        let rest: Box<dyn BufRead> = Box::new(reader);
        let reader: Box<dyn BufRead> = if head == UTF8_BOM {
            rest
        } else {
            Box::new(BufReader::with_capacity(
                BUFFER_BYTES,
                Cursor::new(head).chain(rest),
            ))
        };
        return Ok(TextInput { reader, gzip });
    }
    let reader: Box<dyn BufRead> = Box::new(reader);
    Ok(TextInput { reader, gzip })
}

/// Words an I/O error met while reading `path`: for gzip input it is (almost always) a broken
/// or truncated stream, so say that, and where it happened if known.
pub(crate) fn read_error(path: &Path, gzip: bool, line: Option<u64>, e: io::Error) -> DataError {
    if gzip {
        let at = match line {
            Some(l) => format!(" (after line {l})"),
            None => String::new(),
        };
        DataError::format(
            path,
            format!("the gzip stream is broken or truncated{at}: {e}"),
        )
    } else {
        DataError::io(path, e)
    }
}

/// Reads a whole (possibly gzipped) text file into memory, for small side files (barcodes,
/// features, label tables).
pub(crate) fn read_all_text(path: &Path) -> Result<Vec<u8>> {
    let mut input = open_text(path)?;
    let mut bytes = Vec::new();
    input
        .reader
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(path, input.gzip, None, e))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn detects_gzip_by_magic_and_skips_bom() {
        let dir = tempfile::tempdir().unwrap();
        // gzip content under a name without .gz
        let p = dir.path().join("plain_name.csv");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"\xef\xbb\xbfcell,g\nc1,1\n").unwrap();
        std::fs::write(&p, enc.finish().unwrap()).unwrap();
        assert!(is_gzip_file(&p).unwrap());
        assert_eq!(read_all_text(&p).unwrap(), b"cell,g\nc1,1\n");
        // plain text under a .gz name
        let q = dir.path().join("not_really.csv.gz");
        std::fs::write(&q, b"ab").unwrap();
        assert!(!is_gzip_file(&q).unwrap());
        assert_eq!(read_all_text(&q).unwrap(), b"ab");
    }
}
