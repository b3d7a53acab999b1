//! Records the git commit the tool is built from, for manifests (`CHOKEPOINT_GIT_COMMIT`).
//!
//! Only when the package itself is a git checkout (its root is the repository's top
//! level); `-dirty` is appended when tracked files have uncommitted changes. Without git,
//! or outside a checkout (a crate downloaded from a registry), nothing is set and the
//! manifest says `null`. This script never fails the build.

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        return;
    };
    let dir = Path::new(&dir);
    // Run again when the package's files change (a "-dirty" build) and when git's HEAD,
    // the branch it names or the index move (a commit, a checkout).
    for p in [
        "build.rs",
        "Cargo.toml",
        "Cargo.lock",
        "src",
        "tests",
        "examples",
        "benches",
        "docs",
        "scenarios",
    ] {
        println!("cargo:rerun-if-changed={p}");
    }
    // (Only files that exist: a missing one would make every build run this again.)
    let watch = |name: &str| {
        if let Some(path) = git(dir, &["rev-parse", "--git-path", name]) {
            let path = dir.join(path);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    };
    watch("HEAD");
    watch("index");
    watch("packed-refs");
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watch(&branch);
    }
    let same_root = git(dir, &["rev-parse", "--show-toplevel"])
        .and_then(|top| {
            Some((
                Path::new(&top).canonicalize().ok()?,
                dir.canonicalize().ok()?,
            ))
        })
        .is_some_and(|(a, b)| a == b);
    if !same_root {
        return;
    }
    let Some(commit) = git(dir, &["rev-parse", "HEAD"]).filter(|c| !c.is_empty()) else {
        return;
    };
    let dirty =
        git(dir, &["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    let suffix = if dirty { "-dirty" } else { "" };
    println!("cargo:rustc-env=CHOKEPOINT_GIT_COMMIT={commit}{suffix}");
}
