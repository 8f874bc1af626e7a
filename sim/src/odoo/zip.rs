//! The zip archives of Odoo's database backups, as Python's `zipfile`
//! writes and reads them: `odoo.tools.osutil.zip_dir` writes each file
//! `ZIP_DEFLATED` (deflate at zlib's default level 6, here by `flate2`),
//! and `restore_db` reads the archive with `zipfile.ZipFile`, whose
//! refusals ([`ZipError`]) keep Python's words: `is_zipfile` finds the end
//! of central directory record, `getinfo` a member by name, `open` checks
//! the local header and the CRC-32 once the member is inflated.

use std::{collections::BTreeMap, io::Write};

use flate2::{write::DeflateEncoder, Compression, Decompress, FlushDecompress, Status};

use super::error::python_str;

/// One member to write: its name in the archive and its content.
pub struct Entry<'a> {
    pub name: &'a str,
    pub data: &'a [u8],
}

/// `zipfile`'s constants.
const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;
/// `ZipInfo.create_version` / `extract_version` for deflated members (2.0).
const VERSION: u16 = 20;
/// `create_system` 3 (Unix) in the high byte of "version made by".
const MADE_BY_UNIX: u16 = (3 << 8) | VERSION;
/// A regular file, `rw-r--r--`, as `ZipInfo.from_file` keeps `st_mode`.
const FILE_ATTRIBUTES: u32 = 0o100_644 << 16;
/// General purpose flag bit 11: the name is UTF-8.
const UTF8_NAME: u16 = 0x800;
/// General purpose flag bit 0: encrypted.
const ENCRYPTED: u16 = 0x1;
/// `sizeEndCentDir`, `sizeCentralDir`, `sizeFileHeader`.
const END_SIZE: usize = 22;
const CENTRAL_SIZE: usize = 46;
const LOCAL_SIZE: usize = 30;

/// An archive with `entries` in this order, each deflated, dated `when`.
pub fn write(entries: &[Entry<'_>], when: time::OffsetDateTime) -> Vec<u8> {
    let (dos_time, dos_date) = dos_datetime(when);
    let mut archive = Vec::new();
    let mut central = Vec::new();
    for entry in entries {
        // Writing into memory does not fail; were it to, the member is stored.
        let (method, compressed) = match deflate(entry.data) {
            Ok(compressed) => (DEFLATED, compressed),
            Err(_) => (STORED, entry.data.to_vec()),
        };
        let crc = crc32(entry.data);
        let flags = if entry.name.is_ascii() { 0 } else { UTF8_NAME };
        let offset = u32::try_from(archive.len()).unwrap_or(u32::MAX);
        let compressed_size = u32::try_from(compressed.len()).unwrap_or(u32::MAX);
        let size = u32::try_from(entry.data.len()).unwrap_or(u32::MAX);
        let name_length = u16::try_from(entry.name.len()).unwrap_or(u16::MAX);

        put32(&mut archive, LOCAL_HEADER);
        put16(&mut archive, VERSION);
        put16(&mut archive, flags);
        put16(&mut archive, method);
        put16(&mut archive, dos_time);
        put16(&mut archive, dos_date);
        put32(&mut archive, crc);
        put32(&mut archive, compressed_size);
        put32(&mut archive, size);
        put16(&mut archive, name_length);
        put16(&mut archive, 0);
        archive.extend_from_slice(entry.name.as_bytes());
        archive.extend_from_slice(&compressed);

        put32(&mut central, CENTRAL_HEADER);
        put16(&mut central, MADE_BY_UNIX);
        put16(&mut central, VERSION);
        put16(&mut central, flags);
        put16(&mut central, method);
        put16(&mut central, dos_time);
        put16(&mut central, dos_date);
        put32(&mut central, crc);
        put32(&mut central, compressed_size);
        put32(&mut central, size);
        put16(&mut central, name_length);
        // Extra field, comment, disk number, internal attributes.
        put16(&mut central, 0);
        put16(&mut central, 0);
        put16(&mut central, 0);
        put16(&mut central, 0);
        put32(&mut central, FILE_ATTRIBUTES);
        put32(&mut central, offset);
        central.extend_from_slice(entry.name.as_bytes());
    }
    let central_offset = u32::try_from(archive.len()).unwrap_or(u32::MAX);
    let central_size = u32::try_from(central.len()).unwrap_or(u32::MAX);
    let count = u16::try_from(entries.len()).unwrap_or(u16::MAX);
    archive.extend_from_slice(&central);
    put32(&mut archive, END_OF_CENTRAL_DIRECTORY);
    put16(&mut archive, 0);
    put16(&mut archive, 0);
    put16(&mut archive, count);
    put16(&mut archive, count);
    put32(&mut archive, central_size);
    put32(&mut archive, central_offset);
    put16(&mut archive, 0);
    archive
}

/// Why `zipfile` refused an archive: the Python exception and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZipError {
    /// `zipfile.BadZipFile`.
    BadZipFile(String),
    /// `KeyError` from `getinfo`: the member is not in the archive.
    NoSuchMember(String),
    /// `NotImplementedError`: bzip2, lzma, ... (the simulator inflates only).
    UnsupportedCompression,
    /// `RuntimeError`: an encrypted member without a password.
    Encrypted(String),
    /// `zlib.error` while inflating.
    Zlib(String),
    /// `EOFError`: the deflate stream stops before its end.
    Truncated,
}

impl ZipError {
    /// The exception's argument (`exception.args[0]`).
    pub fn argument(&self) -> String {
        match self {
            ZipError::BadZipFile(message) | ZipError::Zlib(message) => message.clone(),
            ZipError::NoSuchMember(name) => {
                format!("There is no item named {} in the archive", python_str(name))
            }
            ZipError::UnsupportedCompression => "That compression method is not supported".to_owned(),
            ZipError::Encrypted(name) => format!(
                "File {} is encrypted, password required for extraction",
                python_str(name)
            ),
            ZipError::Truncated => {
                "Compressed file ended before the end-of-stream marker was reached".to_owned()
            }
        }
    }
}

/// One member of an archive, as its central directory describes it.
#[derive(Clone, Debug)]
struct Member {
    flags: u16,
    method: u16,
    crc: u32,
    compressed_size: usize,
    size: usize,
    header_offset: usize,
}

/// An archive opened as `zipfile.ZipFile(file)` does.
pub struct Archive<'a> {
    bytes: &'a [u8],
    /// By name, in the central directory's order (`namelist()`).
    members: Vec<(String, Member)>,
    /// Where the archive starts in `bytes` (data prepended to it).
    concat: usize,
}

/// `zipfile.is_zipfile`: whether an end of central directory record is there.
pub fn is_zipfile(bytes: &[u8]) -> bool {
    end_record(bytes).is_some()
}

/// The offset of the end of central directory record (`_EndRecData`):
/// at the very end without a comment, else within the last 64 KiB.
fn end_record(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < END_SIZE {
        return None;
    }
    let last = bytes.len() - END_SIZE;
    if read32(bytes, last) == Some(END_OF_CENTRAL_DIRECTORY) && read16(bytes, last + 20) == Some(0) {
        return Some(last);
    }
    let start = last.saturating_sub(usize::from(u16::MAX));
    (start..last)
        .rev()
        .find(|&at| read32(bytes, at) == Some(END_OF_CENTRAL_DIRECTORY))
}

impl<'a> Archive<'a> {
    /// `zipfile.ZipFile(file, 'r')`: the central directory read.
    pub fn open(bytes: &'a [u8]) -> Result<Self, ZipError> {
        let bad = |message: &str| ZipError::BadZipFile(message.to_owned());
        let end = end_record(bytes).ok_or_else(|| bad("File is not a zip file"))?;
        let field32 = |at: usize| read32(bytes, end + at).map(|value| value as usize);
        let central_size = field32(12).ok_or_else(|| bad("File is not a zip file"))?;
        let central_offset = field32(16).ok_or_else(|| bad("File is not a zip file"))?;
        // `concat`: bytes before the archive itself.
        let concat = end
            .checked_sub(central_size)
            .and_then(|start| start.checked_sub(central_offset))
            .ok_or_else(|| bad("Bad offset for central directory"))?;
        let mut at = concat + central_offset;
        let stop = at + central_size;
        let mut members = Vec::new();
        while at < stop {
            if read32(bytes, at) != Some(CENTRAL_HEADER) {
                return Err(bad("Bad magic number for central directory"));
            }
            let header = bytes
                .get(at..at + CENTRAL_SIZE)
                .ok_or_else(|| bad("Truncated central directory"))?;
            let field16 = |offset: usize| usize::from(read16(header, offset).unwrap_or(0));
            let field32 = |offset: usize| read32(header, offset).unwrap_or(0);
            let name_length = field16(28);
            let extra_length = field16(30);
            let comment_length = field16(32);
            let name_bytes = bytes
                .get(at + CENTRAL_SIZE..at + CENTRAL_SIZE + name_length)
                .ok_or_else(|| bad("Truncated central directory"))?;
            let flags = read16(header, 8).unwrap_or(0);
            // Without the UTF-8 flag, Python decodes names as cp437.
            let name = if flags & UTF8_NAME != 0 {
                String::from_utf8_lossy(name_bytes).into_owned()
            } else {
                name_bytes.iter().map(|&byte| cp437(byte)).collect()
            };
            members.push((
                name,
                Member {
                    flags,
                    method: read16(header, 10).unwrap_or(0),
                    crc: field32(16),
                    compressed_size: field32(20) as usize,
                    size: field32(24) as usize,
                    header_offset: field32(42) as usize,
                },
            ));
            at += CENTRAL_SIZE + name_length + extra_length + comment_length;
        }
        Ok(Self {
            bytes,
            members,
            concat,
        })
    }

    /// `namelist()`.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|(name, _)| name.as_str())
    }

    /// `read(name)`: the member's content, checked against its CRC-32.
    pub fn read(&self, name: &str) -> Result<Vec<u8>, ZipError> {
        let bad = |message: String| ZipError::BadZipFile(message);
        // The last member of that name wins, as in `NameToInfo`.
        let member = self
            .members
            .iter()
            .rev()
            .find(|(known, _)| known == name)
            .map(|(_, member)| member)
            .ok_or_else(|| ZipError::NoSuchMember(name.to_owned()))?;
        let at = self.concat + member.header_offset;
        let header = self
            .bytes
            .get(at..at + LOCAL_SIZE)
            .ok_or_else(|| bad("Truncated file header".to_owned()))?;
        if read32(header, 0) != Some(LOCAL_HEADER) {
            return Err(bad("Bad magic number for file header".to_owned()));
        }
        let name_length = usize::from(read16(header, 26).unwrap_or(0));
        let extra_length = usize::from(read16(header, 28).unwrap_or(0));
        let local_name = self
            .bytes
            .get(at + LOCAL_SIZE..at + LOCAL_SIZE + name_length)
            .ok_or_else(|| bad("Truncated file header".to_owned()))?;
        if local_name != name.as_bytes() && member.flags & UTF8_NAME != 0 {
            return Err(bad(format!(
                "File name in directory {} and header {} differ.",
                python_str(name),
                python_bytes(local_name)
            )));
        }
        if member.flags & ENCRYPTED != 0 {
            return Err(ZipError::Encrypted(name.to_owned()));
        }
        let start = at + LOCAL_SIZE + name_length + extra_length;
        let compressed = self
            .bytes
            .get(start..start.saturating_add(member.compressed_size))
            .ok_or(ZipError::Truncated)?;
        let data = match member.method {
            STORED => compressed.to_vec(),
            DEFLATED => inflate(compressed, member.size)?,
            _ => return Err(ZipError::UnsupportedCompression),
        };
        if data.len() != member.size && member.method == STORED {
            return Err(ZipError::Truncated);
        }
        if crc32(&data) != member.crc {
            return Err(bad(format!("Bad CRC-32 for file {}", python_str(name))));
        }
        Ok(data)
    }

    /// `extractall(path, members)`: each named member read, in order.
    pub fn extract(&self, names: &[String]) -> Result<BTreeMap<String, Vec<u8>>, ZipError> {
        names
            .iter()
            .map(|name| Ok((name.clone(), self.read(name)?)))
            .collect()
    }
}

/// `repr(data)` of Python `bytes`.
fn python_bytes(data: &[u8]) -> String {
    let text: String = data
        .iter()
        .map(|&byte| match byte {
            b'\\' => "\\\\".to_owned(),
            b'\'' => "\\'".to_owned(),
            0x20..=0x7e => char::from(byte).to_string(),
            _ => format!("\\x{byte:02x}"),
        })
        .collect();
    format!("b'{text}'")
}

/// Code page 437, which `zipfile` decodes names without the UTF-8 flag in.
fn cp437(byte: u8) -> char {
    const HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";
    if byte < 0x80 {
        char::from(byte)
    } else {
        HIGH.chars().nth(usize::from(byte - 0x80)).unwrap_or('?')
    }
}

/// The date and time fields of a zip header (local time as MS-DOS keeps it;
/// UTC here, the time zone of the servers Odoo runs on).
fn dos_datetime(when: time::OffsetDateTime) -> (u16, u16) {
    let year = u16::try_from(when.year().clamp(1980, 2107) - 1980).unwrap_or(0);
    let time =
        (u16::from(when.hour()) << 11) | (u16::from(when.minute()) << 5) | (u16::from(when.second()) / 2);
    let date = (year << 9) | (u16::from(u8::from(when.month())) << 5) | u16::from(when.day());
    (time, date)
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn read16(bytes: &[u8], at: usize) -> Option<u16> {
    let slice = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([*slice.first()?, *slice.get(1)?]))
}

fn read32(bytes: &[u8], at: usize) -> Option<u32> {
    let slice = bytes.get(at..at.checked_add(4)?)?;
    let mut word = [0; 4];
    word.copy_from_slice(slice);
    Some(u32::from_le_bytes(word))
}

/// CRC-32 (ISO-HDLC), as `zlib.crc32`.
pub fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// A raw deflate stream at zlib's default level, as `zipfile` writes
/// `ZIP_DEFLATED` members (`zlib.compressobj(6, DEFLATED, -15)`).
fn deflate(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = DeflateEncoder::new(Vec::with_capacity(data.len() / 2 + 64), Compression::new(6));
    encoder.write_all(data)?;
    encoder.finish()
}

/// Reads a raw deflate stream (RFC 1951), as `zlib.decompressobj(-15)`;
/// its refusals in zlib's words.
pub fn inflate(input: &[u8], size_hint: usize) -> Result<Vec<u8>, ZipError> {
    let mut inflater = Decompress::new(false);
    let mut out = Vec::with_capacity(size_hint.clamp(1 << 10, 64 << 20));
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.capacity().max(1 << 16));
        }
        let (read, written) = (inflater.total_in(), inflater.total_out());
        let rest = usize::try_from(read)
            .ok()
            .and_then(|at| input.get(at..))
            .unwrap_or_default();
        // miniz_oxide does not say what is wrong with the data, as zlib
        // does ("invalid block type", "invalid distance too far back"...).
        let status = inflater
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|_| zlib("invalid deflate data"))?;
        if status == Status::StreamEnd {
            return Ok(out);
        }
        // With room to write, no progress means the input ran out.
        if inflater.total_in() == read && inflater.total_out() == written {
            return Err(ZipError::Truncated);
        }
    }
}

fn zlib(message: &str) -> ZipError {
    ZipError::Zlib(format!("Error -3 while decompressing data: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_written_is_read_back() {
        let big: Vec<u8> = (0..200_000u32).map(|n| (n % 251) as u8).collect();
        let archive = write(
            &[
                Entry {
                    name: "dump.sql",
                    data: b"SELECT 1;\n",
                },
                Entry {
                    name: "filestore/ab/abc",
                    data: &big,
                },
                Entry {
                    name: "empty",
                    data: b"",
                },
            ],
            time::OffsetDateTime::UNIX_EPOCH,
        );
        assert!(is_zipfile(&archive));
        let opened = Archive::open(&archive).unwrap();
        assert_eq!(
            opened.names().collect::<Vec<_>>(),
            ["dump.sql", "filestore/ab/abc", "empty"]
        );
        assert_eq!(opened.read("dump.sql").unwrap(), b"SELECT 1;\n");
        assert_eq!(opened.read("filestore/ab/abc").unwrap(), big);
        assert_eq!(opened.read("empty").unwrap(), b"");
        assert_eq!(
            opened.read("manifest.json").unwrap_err().argument(),
            "There is no item named 'manifest.json' in the archive"
        );
    }

    #[test]
    fn zlib_streams_with_huffman_codes_are_inflated() {
        // Python's `zlib.compressobj(9, DEFLATED, -15)`: fixed codes...
        let fixed = [0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x27, 0x01];
        assert_eq!(inflate(&fixed, 0).unwrap(), b"hello hello hello hello");
        // ... and dynamic ones, for 300 lines of text.
        let dynamic = "edd5316e02411005d19c53f40108e81ec0e63cf6209076bd2bef20737cc4112a7350f9cf4add6fbafff438c4728d71ebf1fd98d77dfcddc72db665ee31fa73c458e26b99d7dfbe6dbbe93d4f362f366f6c7e64f3139b9fd9fc83cd3fd9fc0233d1acb06bc2b009cb264c9bb06dc2b809eb26cc9bb06fc1be45ef16f62dd8b760df827d0bf62dd8b760df827d1becdb60df461f33ecdb60df06fb36d857e5544ee5544ee5544ee5544ee5544ee5544ee5544ee5544ee5544ee5544ee5544ee5544ee5544ee5544ee5544ee5544ee5544ee5544ee5544ee5544ee5544ee5544ee5544ee554eedf2bf702";
        let dynamic: Vec<u8> = (0..dynamic.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&dynamic[at..at + 2], 16).unwrap())
            .collect();
        let expected: Vec<u8> = (0..300)
            .flat_map(|line| {
                format!("line {} of the dump, with some text to compress\n", line % 37).into_bytes()
            })
            .collect();
        let inflated = inflate(&dynamic, 0).unwrap();
        let first_difference = inflated
            .iter()
            .zip(&expected)
            .position(|(left, right)| left != right);
        assert_eq!(first_difference, None);
        assert_eq!(inflated.len(), expected.len());
        assert_eq!(crc32(&inflated), 446_494_962);
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn members_are_deflated() {
        let dump = "INSERT INTO res_partner VALUES (1, 'Acme');\n".repeat(1_000);
        let archive = write(
            &[Entry {
                name: "dump.sql",
                data: dump.as_bytes(),
            }],
            time::OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(read16(&archive, 8), Some(DEFLATED));
        let compressed_size = read32(&archive, 18).unwrap() as usize;
        assert!(compressed_size < dump.len() / 20, "{compressed_size} bytes");
        assert_eq!(read32(&archive, 22).unwrap() as usize, dump.len());
        assert_eq!(
            Archive::open(&archive).unwrap().read("dump.sql").unwrap(),
            dump.as_bytes()
        );
    }

    #[test]
    fn a_damaged_member_is_refused_in_zipfile_words() {
        let archive = write(
            &[Entry {
                name: "dump.sql",
                data: b"data",
            }],
            time::OffsetDateTime::UNIX_EPOCH,
        );
        // The CRC-32 of the central directory, which `zipfile` checks.
        let central = archive
            .windows(4)
            .position(|window| window == CENTRAL_HEADER.to_le_bytes())
            .unwrap();
        let mut damaged = archive.clone();
        damaged[central + 16] ^= 0xff;
        let opened = Archive::open(&damaged).unwrap();
        assert_eq!(
            opened.read("dump.sql").unwrap_err(),
            ZipError::BadZipFile("Bad CRC-32 for file 'dump.sql'".to_owned())
        );
        assert!(!is_zipfile(b"not a zip"));
        assert_eq!(python_str("it's"), "\"it's\"");
    }

    #[test]
    fn a_corrupt_or_cut_deflate_stream_is_refused_in_zlib_words() {
        // Block type 3 is reserved.
        assert_eq!(
            inflate(&[0x07, 0x00], 0).unwrap_err().argument(),
            "Error -3 while decompressing data: invalid deflate data"
        );
        // A stored block whose length and its complement disagree.
        assert!(matches!(
            inflate(&[0x01, 0x04, 0x00, 0x00, 0x00, b'd', b'a', b't', b'a'], 0),
            Err(ZipError::Zlib(_))
        ));
        // Half of a stream.
        let text = "line of the dump\n".repeat(100);
        let whole = deflate(text.as_bytes()).unwrap();
        assert_eq!(inflate(&whole, 0).unwrap(), text.as_bytes());
        assert_eq!(
            inflate(&whole[..whole.len() / 2], 0).unwrap_err(),
            ZipError::Truncated
        );
        assert_eq!(inflate(b"", 0).unwrap_err(), ZipError::Truncated);
    }
}
