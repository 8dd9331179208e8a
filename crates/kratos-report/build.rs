//! Records the versions of the main libraries the binary is built with (from the workspace's
//! Cargo.lock) for `report.json`'s `versions`; "unknown" when there is no lock file.

use std::path::PathBuf;

const CRATES: [&str; 5] = ["burn", "linfa-linalg", "libsvm-rs", "bhtsne", "plotters"];

fn main() {
    let mut dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let mut lock = None;
    for _ in 0..4 {
        let candidate = dir.join("Cargo.lock");
        if candidate.is_file() {
            lock = Some(candidate);
            break;
        }
        if !dir.pop() {
            break;
        }
    }
    let text = lock
        .as_ref()
        .and_then(|p| {
            println!("cargo:rerun-if-changed={}", p.display());
            std::fs::read_to_string(p).ok()
        })
        .unwrap_or_default();
    let mut versions = Vec::new();
    for name in CRATES {
        let needle = format!("name = \"{name}\"\nversion = \"");
        let version = text
            .find(&needle)
            .map(|i| {
                let rest = &text[i + needle.len()..];
                rest[..rest.find('"').unwrap_or(0)].to_string()
            })
            .unwrap_or_else(|| "unknown".into());
        versions.push(format!("{name}={version}"));
    }
    println!(
        "cargo:rustc-env=KRATOS_DEPENDENCY_VERSIONS={}",
        versions.join(",")
    );
    println!("cargo:rerun-if-changed=build.rs");
}
