//! A 1 GiB backup through the portal's backup path, run by `cargo xtask
//! bench` against its two real versitygw servers: sealed and uploaded to
//! the primary storage (multipart), copied off site, then read back,
//! opened and checked as a restore reads it. Printed: each leg's time and
//! throughput, the same bytes uploaded and read without sealing (the
//! storage's own pace, for comparison), and how much this process's peak
//! resident memory grew (the target: ≤ 50 MB whatever the size).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use control::{
    backends::object_storage::{ByteStream, Endpoint, ObjectStorage, Site},
    backups::{self, BackupKey},
};
use futures_util::{stream, StreamExt};
use uuid::Uuid;

/// The portal's allocator (`server/src/main.rs`), whose process runs the
/// backups: the peak measured is the one the portal would reach.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SIZE: u64 = 1 << 30;
const PIECE: usize = 1 << 20;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name}: `cargo xtask bench` sets it"))
}

fn endpoint(site: &str) -> Endpoint {
    Endpoint {
        url: env(&format!("TEST_S3_{site}_URL")),
        bucket: env(&format!("TEST_S3_{site}_BUCKET")),
        region: env("TEST_S3_REGION"),
        access_key: env(&format!("TEST_S3_{site}_ACCESS_KEY")),
        secret_key: env(&format!("TEST_S3_{site}_SECRET_KEY")),
    }
}

/// A field of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// `SIZE` bytes that do not compress (what a zip mostly is), a MiB at a time.
fn source() -> ByteStream {
    let pieces = SIZE / PIECE as u64;
    Box::pin(stream::iter(0..pieces).map(|index| {
        let mut state = index.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut piece = vec![0u8; PIECE];
        for chunk in piece.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
        }
        Ok(Bytes::from(piece))
    }))
}

async fn drain(mut plain: ByteStream) -> u64 {
    let mut read = 0;
    while let Some(piece) = plain.next().await {
        read += piece.unwrap().len() as u64;
    }
    read
}

fn rate(bytes: u64, took: Duration) -> String {
    format!(
        "{:.1} s, {:.0} MiB/s",
        took.as_secs_f64(),
        bytes as f64 / (1 << 20) as f64 / took.as_secs_f64().max(0.001)
    )
}

#[tokio::main]
async fn main() {
    let storage = ObjectStorage::new(
        &endpoint("PRIMARY"),
        &endpoint("OFFSITE"),
        Duration::from_secs(120),
    )
    .unwrap();
    let key = BackupKey::parse_hex(&"7e".repeat(32)).unwrap();
    let backup = Uuid::new_v4();
    let object = format!("bench/{backup}.bbk");
    let plain_object = format!("bench/{backup}.plain");
    let before = status_kib("VmRSS:");

    let started = Instant::now();
    let stored = backups::store_sealed(&storage, &object, &key, backup, source())
        .await
        .unwrap();
    let sealed = started.elapsed();
    let started = Instant::now();
    storage.copy_offsite(&object).await.unwrap();
    let offsite = started.elapsed();
    let started = Instant::now();
    let opened = backups::open_stored(
        &storage,
        Site::Primary,
        &object,
        &key,
        backup,
        &stored.digested.sha256,
    )
    .await
    .unwrap();
    let read = drain(opened).await;
    let restored = started.elapsed();
    assert_eq!(read, SIZE);
    let peak = status_kib("VmHWM:");

    // The storage's own pace: the same bytes, neither sealed nor opened.
    let started = Instant::now();
    storage
        .upload(Site::Primary, &plain_object, source())
        .await
        .unwrap();
    let raw_up = started.elapsed();
    let started = Instant::now();
    let raw_read = drain(storage.read(Site::Primary, &plain_object).await.unwrap()).await;
    let raw_down = started.elapsed();
    assert_eq!(raw_read, SIZE);
    storage.remove(&object).await.unwrap();
    storage.remove(&plain_object).await.unwrap();

    println!("backups (1 GiB, real versitygw primary and off-site):");
    println!("  sealed and uploaded: {}", rate(SIZE, sealed));
    println!("  copied off site:     {}", rate(stored.sealed_bytes, offsite));
    println!(
        "  read, opened, checked (a restore's read): {}",
        rate(SIZE, restored)
    );
    println!(
        "  the storage alone, same bytes: upload {}, read {}",
        rate(SIZE, raw_up),
        rate(SIZE, raw_down)
    );
    println!(
        "  peak RSS growth: {} MiB ({} KiB before, peak {} KiB; target ≤ 50 MiB)",
        peak.saturating_sub(before) / 1024,
        before,
        peak
    );
}
