//! Sealing a backup with its organization's key before it leaves the
//! portal, and opening it again: AES-256-GCM over chunks, so that memory
//! stays flat whatever the size.
//!
//! The layout (the "STREAM" construction of Hoang, Reyhanitabar, Rogaway
//! and Vizár, as age and Tink's streaming AEAD use it):
//! `MAGIC`, a random 7-byte nonce prefix, then the chunks, each
//! `CHUNK` bytes of plaintext (the last one shorter, maybe empty) and its
//! 16-byte tag. A chunk's nonce is the prefix, its position (32 bits) and
//! whether it is the last, so chunks cannot be reordered, dropped or the
//! stream cut short without the opening failing. Every chunk is bound to
//! the backup it belongs to (its id as associated data), so one backup
//! cannot be passed off as another of the same organization.
//!
//! The SHA-256 recorded with a backup is the plaintext's (what a customer
//! downloads): the opener checks it before it hands over the last chunk,
//! so a consumer never sees a complete stream that does not match.

use std::fmt;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// What every sealed backup starts with (format version 1).
pub const MAGIC: &[u8; 8] = b"BBKSEAL1";
/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
const PREFIX: usize = 7;
const TAG: usize = 16;
const HEADER: usize = MAGIC.len() + PREFIX;

/// Why a backup could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the backup key is not 64 hexadecimal digits")]
    BadKey,
    #[error("no randomness for the nonce")]
    NoRandomness,
    #[error("the backup is larger than one sealing can hold")]
    TooLarge,
    #[error("the object is not a sealed Bibind backup")]
    NotSealed,
    /// A wrong key, another backup's object, or bytes changed, cut or reordered.
    #[error("the backup cannot be opened with this key (wrong key, or altered or truncated)")]
    Unopenable,
    #[error("the backup's checksum is {found}, {expected} was recorded")]
    ChecksumMismatch { expected: String, found: String },
}

/// An organization's backup key (256 bits), as Vault keeps it: 64 hex digits.
#[derive(Clone, PartialEq, Eq)]
pub struct BackupKey([u8; 32]);

impl BackupKey {
    pub fn parse_hex(text: &str) -> Result<Self, SealError> {
        let bytes = hex::decode(text.trim()).map_err(|_| SealError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SealError::BadKey)?;
        Ok(Self(key))
    }

    fn aead(&self) -> Result<LessSafeKey, SealError> {
        let key = UnboundKey::new(&AES_256_GCM, &self.0).map_err(|_| SealError::BadKey)?;
        Ok(LessSafeKey::new(key))
    }
}

impl fmt::Debug for BackupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BackupKey(…)")
    }
}

/// The plaintext's size and SHA-256 (hex), as recorded with a backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digested {
    pub size: u64,
    pub sha256: String,
}

/// The running size and hash of a plaintext.
#[derive(Default)]
struct Tally {
    hash: Sha256,
    size: u64,
}

impl Tally {
    fn add(&mut self, plain: &[u8]) {
        self.hash.update(plain);
        self.size += plain.len() as u64;
    }

    fn digested(self) -> Digested {
        Digested {
            size: self.size,
            sha256: hex::encode(self.hash.finalize()),
        }
    }
}

fn nonce(prefix: &[u8; PREFIX], counter: u32, last: bool) -> Nonce {
    let mut bytes = [0u8; 12];
    bytes[..PREFIX].copy_from_slice(prefix);
    bytes[PREFIX..PREFIX + 4].copy_from_slice(&counter.to_be_bytes());
    bytes[11] = u8::from(last);
    Nonce::assume_unique_for_key(bytes)
}

/// Seals a plaintext pushed in pieces of any size.
pub struct Sealer {
    key: LessSafeKey,
    context: Vec<u8>,
    prefix: [u8; PREFIX],
    counter: u32,
    pending: Vec<u8>,
    tally: Tally,
    header: Option<Bytes>,
}

impl Sealer {
    /// `context` is what the object is bound to (the backup's id).
    pub fn new(key: &BackupKey, context: &[u8]) -> Result<Self, SealError> {
        let mut prefix = [0u8; PREFIX];
        aws_lc_rs::rand::fill(&mut prefix).map_err(|_| SealError::NoRandomness)?;
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&prefix);
        Ok(Self {
            key: key.aead()?,
            context: context.to_vec(),
            prefix,
            counter: 0,
            pending: Vec::with_capacity(CHUNK),
            tally: Tally::default(),
            header: Some(Bytes::from(header)),
        })
    }

    /// Takes `plain`; appends to `out` what is ready to store.
    pub fn push(&mut self, mut plain: &[u8], out: &mut Vec<Bytes>) -> Result<(), SealError> {
        self.tally.add(plain);
        out.extend(self.header.take());
        while !plain.is_empty() {
            // A full chunk is sealed only once more follows: the last chunk
            // (maybe full) is sealed by `finish`.
            if self.pending.len() == CHUNK {
                out.push(self.seal_pending(false)?);
            }
            let room = CHUNK - self.pending.len();
            let (now, rest) = plain.split_at(room.min(plain.len()));
            self.pending.extend_from_slice(now);
            plain = rest;
        }
        Ok(())
    }

    /// Seals the last chunk; the plaintext's size and checksum.
    pub fn finish(mut self, out: &mut Vec<Bytes>) -> Result<Digested, SealError> {
        out.extend(self.header.take());
        out.push(self.seal_pending(true)?);
        Ok(self.tally.digested())
    }

    fn seal_pending(&mut self, last: bool) -> Result<Bytes, SealError> {
        let mut chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK));
        chunk.reserve(TAG);
        let nonce = nonce(&self.prefix, self.counter, last);
        self.key
            .seal_in_place_append_tag(nonce, Aad::from(self.context.as_slice()), &mut chunk)
            .map_err(|_| SealError::TooLarge)?;
        self.counter = self.counter.checked_add(1).ok_or(SealError::TooLarge)?;
        Ok(Bytes::from(chunk))
    }
}

/// Opens a sealed object pushed in pieces of any size.
pub struct Opener {
    key: LessSafeKey,
    context: Vec<u8>,
    prefix: Option<[u8; PREFIX]>,
    counter: u32,
    pending: Vec<u8>,
    tally: Tally,
}

impl Opener {
    pub fn new(key: &BackupKey, context: &[u8]) -> Result<Self, SealError> {
        Ok(Self {
            key: key.aead()?,
            context: context.to_vec(),
            prefix: None,
            counter: 0,
            pending: Vec::with_capacity(CHUNK + TAG + 1),
            tally: Tally::default(),
        })
    }

    /// Takes stored bytes; appends to `out` the plaintext they open to,
    /// except the last chunk's (see [`Self::finish`]).
    pub fn push(&mut self, mut sealed: &[u8], out: &mut Vec<Bytes>) -> Result<(), SealError> {
        while !sealed.is_empty() {
            let wanted = match self.prefix {
                None => HEADER,
                // One byte past a chunk tells it is not the last.
                Some(_) => CHUNK + TAG + 1,
            };
            let room = wanted.saturating_sub(self.pending.len());
            let (now, rest) = sealed.split_at(room.min(sealed.len()));
            self.pending.extend_from_slice(now);
            sealed = rest;
            if self.pending.len() < wanted {
                continue;
            }
            match self.prefix {
                None => self.read_header()?,
                Some(_) => {
                    let rest = self.pending.split_off(CHUNK + TAG);
                    let chunk = std::mem::replace(&mut self.pending, rest);
                    out.push(self.open(chunk, false)?);
                }
            }
        }
        Ok(())
    }

    /// Opens the last chunk and checks the whole plaintext against
    /// `expected` (when given) before handing that chunk over.
    pub fn finish(mut self, expected: Option<&str>, out: &mut Vec<Bytes>) -> Result<Digested, SealError> {
        if self.prefix.is_none() {
            return Err(SealError::NotSealed);
        }
        let chunk = std::mem::take(&mut self.pending);
        let last = self.open(chunk, true)?;
        let digested = self.tally.digested();
        if let Some(expected) = expected {
            if !digested.sha256.eq_ignore_ascii_case(expected) {
                return Err(SealError::ChecksumMismatch {
                    expected: expected.to_owned(),
                    found: digested.sha256,
                });
            }
        }
        out.push(last);
        Ok(digested)
    }

    fn read_header(&mut self) -> Result<(), SealError> {
        if &self.pending[..MAGIC.len()] != MAGIC {
            return Err(SealError::NotSealed);
        }
        let mut prefix = [0u8; PREFIX];
        prefix.copy_from_slice(&self.pending[MAGIC.len()..HEADER]);
        self.prefix = Some(prefix);
        self.pending.clear();
        Ok(())
    }

    fn open(&mut self, mut chunk: Vec<u8>, last: bool) -> Result<Bytes, SealError> {
        let prefix = self.prefix.ok_or(SealError::NotSealed)?;
        let nonce = nonce(&prefix, self.counter, last);
        let plain_len = self
            .key
            .open_in_place(nonce, Aad::from(self.context.as_slice()), &mut chunk)
            .map_err(|_| SealError::Unopenable)?
            .len();
        chunk.truncate(plain_len);
        self.counter = self.counter.checked_add(1).ok_or(SealError::TooLarge)?;
        self.tally.add(&chunk);
        Ok(Bytes::from(chunk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> BackupKey {
        BackupKey([byte; 32])
    }

    /// Seals `plain` pushed in pieces of `piece` bytes.
    fn seal(key: &BackupKey, context: &[u8], plain: &[u8], piece: usize) -> (Vec<u8>, Digested) {
        let mut sealer = Sealer::new(key, context).unwrap_or_else(|error| unreachable!("{error}"));
        let mut out = Vec::new();
        for part in plain.chunks(piece.max(1)) {
            sealer
                .push(part, &mut out)
                .unwrap_or_else(|error| unreachable!("{error}"));
        }
        let digested = sealer
            .finish(&mut out)
            .unwrap_or_else(|error| unreachable!("{error}"));
        (out.concat(), digested)
    }

    fn open(
        key: &BackupKey,
        context: &[u8],
        sealed: &[u8],
        piece: usize,
        expected: Option<&str>,
    ) -> Result<Vec<u8>, SealError> {
        let mut opener = Opener::new(key, context)?;
        let mut out = Vec::new();
        for part in sealed.chunks(piece.max(1)) {
            opener.push(part, &mut out)?;
        }
        opener.finish(expected, &mut out)?;
        Ok(out.concat())
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn what_is_sealed_opens_to_the_same_bytes_and_checksum_whatever_the_pieces() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17] {
            let plain = sample(len);
            for piece in [1000, CHUNK, 7 * CHUNK] {
                let (sealed, digested) = seal(&key(1), b"backup-1", &plain, piece);
                assert_eq!(digested.size, len as u64);
                assert_eq!(digested.sha256, hex::encode(Sha256::digest(&plain)));
                for read_piece in [5, 4096, CHUNK + TAG, sealed.len()] {
                    let opened = open(&key(1), b"backup-1", &sealed, read_piece, Some(&digested.sha256));
                    assert_eq!(
                        opened.as_deref(),
                        Ok(plain.as_slice()),
                        "len {len}, pieces {piece}/{read_piece}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_sealed_object_shows_nothing_of_the_plaintext() {
        let plain = b"PK\x03\x04 dump.sql INSERT INTO res_partner".repeat(100);
        let (sealed, _) = seal(&key(1), b"b", &plain, 4096);
        assert!(sealed.starts_with(MAGIC));
        assert!(!sealed.windows(8).any(|window| window == b"dump.sql"));
        assert_eq!(sealed.len(), HEADER + plain.len() + TAG);
    }

    #[test]
    fn another_key_or_another_backup_cannot_open_it() {
        let (sealed, _) = seal(&key(1), b"backup-1", &sample(2 * CHUNK + 5), CHUNK);
        assert_eq!(
            open(&key(2), b"backup-1", &sealed, 999, None),
            Err(SealError::Unopenable)
        );
        assert_eq!(
            open(&key(1), b"backup-2", &sealed, 999, None),
            Err(SealError::Unopenable)
        );
    }

    #[test]
    fn a_cut_changed_or_reordered_object_does_not_open() {
        let plain = sample(3 * CHUNK + 100);
        let (sealed, _) = seal(&key(1), b"b", &plain, CHUNK);
        // Cut at a chunk's end: the chunk before was not sealed as the last.
        let cut = &sealed[..HEADER + 2 * (CHUNK + TAG)];
        assert_eq!(open(&key(1), b"b", cut, 999, None), Err(SealError::Unopenable));
        let mut changed = sealed.clone();
        changed[HEADER + 10] ^= 1;
        assert_eq!(
            open(&key(1), b"b", &changed, 999, None),
            Err(SealError::Unopenable)
        );
        let mut swapped = sealed[..HEADER].to_vec();
        swapped.extend_from_slice(&sealed[HEADER + CHUNK + TAG..HEADER + 2 * (CHUNK + TAG)]);
        swapped.extend_from_slice(&sealed[HEADER..HEADER + CHUNK + TAG]);
        swapped.extend_from_slice(&sealed[HEADER + 2 * (CHUNK + TAG)..]);
        assert_eq!(
            open(&key(1), b"b", &swapped, 999, None),
            Err(SealError::Unopenable)
        );
        assert_eq!(
            open(&key(1), b"b", b"PK\x03\x04 not sealed at all", 999, None),
            Err(SealError::NotSealed)
        );
        assert_eq!(
            open(&key(1), b"b", &sealed[..HEADER - 1], 999, None),
            Err(SealError::NotSealed)
        );
    }

    #[test]
    fn a_checksum_that_does_not_match_withholds_the_last_chunk() {
        let plain = sample(CHUNK + 10);
        let (sealed, _) = seal(&key(1), b"b", &plain, CHUNK);
        let mut opener = Opener::new(&key(1), b"b").unwrap_or_else(|error| unreachable!("{error}"));
        let mut out = Vec::new();
        opener
            .push(&sealed, &mut out)
            .unwrap_or_else(|error| unreachable!("{error}"));
        let before = out.concat().len();
        let wrong = "0".repeat(64);
        assert!(matches!(
            opener.finish(Some(&wrong), &mut out),
            Err(SealError::ChecksumMismatch { .. })
        ));
        assert_eq!(out.concat().len(), before);
        assert!(before < plain.len());
    }

    #[test]
    fn keys_are_parsed_from_64_hex_digits_and_never_printed() {
        let text = "ab".repeat(32);
        let parsed = BackupKey::parse_hex(&text).unwrap_or_else(|error| unreachable!("{error}"));
        assert_eq!(format!("{parsed:?}"), "BackupKey(…)");
        assert_eq!(BackupKey::parse_hex("abcd"), Err(SealError::BadKey));
        assert_eq!(BackupKey::parse_hex(&"zz".repeat(32)), Err(SealError::BadKey));
    }
}
