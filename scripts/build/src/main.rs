//! `cargo run -p countersign-build [-- --release]`: builds the site into `target/site` exactly as
//! `cargo leptos build` does for this workspace — the server binary, the WebAssembly front end
//! with its JavaScript bindings (`pkg/countersign.js`, `pkg/countersign.wasm`), the Tailwind CSS
//! and the public assets — without installing cargo-leptos or wasm-bindgen-cli: wasm-bindgen runs
//! as a library, pinned to the `wasm-bindgen` version in `Cargo.lock`, so the two cannot
//! disagree. Release builds optimise the WebAssembly with `wasm-opt` from npm's binaryen.
//! `[package.metadata.leptos]` stays the source of the names below, for `cargo leptos watch`.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// From `[[workspace.metadata.leptos]]` in the workspace's Cargo.toml.
const OUTPUT_NAME: &str = "countersign";
const SITE_ROOT: &str = "target/site";
const PKG_DIR: &str = "pkg";
const FRONT_TARGET_DIR: &str = "target/front";
const FRONT_PACKAGE: &str = "countersign-frontend";
const SERVER_PACKAGE: &str = "countersign";
const TAILWIND_INPUT: &str = "style/main.css";
const ASSETS_DIR: &str = "public";

fn main() {
    if let Err(error) = run() {
        eprintln!("countersign-build: {error:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let release = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--release") => true,
        Some(other) => bail!("unknown argument `{other}`: the only option is --release"),
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .context("the workspace root is two levels above scripts/build")?;
    std::env::set_current_dir(root).context("cannot enter the workspace root")?;
    let pkg = Path::new(SITE_ROOT).join(PKG_DIR);
    std::fs::create_dir_all(&pkg).with_context(|| format!("cannot create {}", pkg.display()))?;

    stage("server", || cargo(release, &server_args(release)))?;
    stage("WebAssembly front end", || {
        cargo(release, &front_args(release))
    })?;
    stage("wasm-bindgen", || bindgen(release, &pkg))?;
    if release {
        stage("wasm-opt", || wasm_opt(&pkg))?;
    }
    stage("CSS (Tailwind)", || tailwind(release, &pkg))?;
    stage("assets", || {
        copy_assets(Path::new(ASSETS_DIR), Path::new(SITE_ROOT))
    })?;
    Ok(())
}

/// Runs one stage, saying which it is and how long it took; an error names the stage.
fn stage(name: &str, work: impl FnOnce() -> Result<()>) -> Result<()> {
    let started = Instant::now();
    eprintln!("countersign-build: {name}…");
    work().with_context(|| format!("the {name} stage failed"))?;
    eprintln!(
        "countersign-build: {name} done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn server_args(release: bool) -> Vec<String> {
    let mut args = vec![
        "build".to_owned(),
        format!("--package={SERVER_PACKAGE}"),
        format!("--bin={SERVER_PACKAGE}"),
        "--no-default-features".to_owned(),
    ];
    if release {
        args.push("--release".to_owned());
    }
    args
}

fn front_args(release: bool) -> Vec<String> {
    let mut args = vec![
        "build".to_owned(),
        format!("--package={FRONT_PACKAGE}"),
        "--lib".to_owned(),
        format!("--target-dir={FRONT_TARGET_DIR}"),
        "--target=wasm32-unknown-unknown".to_owned(),
        "--no-default-features".to_owned(),
    ];
    if release {
        args.push("--profile=wasm-release".to_owned());
    }
    args
}

/// Cargo with the environment cargo-leptos gives it, so builds by either tool share their
/// compiled dependencies.
fn cargo(release: bool, args: &[String]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .args(args)
        .env("LEPTOS_OUTPUT_NAME", OUTPUT_NAME)
        .env("LEPTOS_SITE_ROOT", SITE_ROOT)
        .env("LEPTOS_SITE_PKG_DIR", PKG_DIR)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:3000")
        .env("LEPTOS_RELOAD_PORT", "3001")
        .env("LEPTOS_LIB_DIR", "frontend")
        .env("LEPTOS_BIN_DIR", "server")
        .env("LEPTOS_JS_MINIFY", release.to_string())
        .env("LEPTOS_HASH_FILES", "false")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    // Both profiles erase component types, as cargo-leptos does for debug builds (much faster to
    // compile). Release builds did too once the router had 21 routes: with typed route views
    // every page failed to hydrate (a tachys "unrecoverable hydration error" on the first
    // element), while the erased views of the same code hydrate.
    command.env("RUSTFLAGS", "--cfg erase_components");
    check(command.status(), "cargo")
}

fn check(status: std::io::Result<std::process::ExitStatus>, what: &str) -> Result<()> {
    let status = status.with_context(|| format!("cannot run {what}"))?;
    if !status.success() {
        bail!("{what} exited with {status}");
    }
    Ok(())
}

/// The JavaScript bindings and the WebAssembly they load, named as Leptos's hydration script
/// expects (`{output}.js`, `{output}.wasm`).
fn bindgen(release: bool, pkg: &Path) -> Result<()> {
    let profile = if release { "wasm-release" } else { "debug" };
    let input: PathBuf = [
        FRONT_TARGET_DIR,
        "wasm32-unknown-unknown",
        profile,
        &format!("{}.wasm", FRONT_PACKAGE.replace('-', "_")),
    ]
    .iter()
    .collect();
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&input)
        .out_name(OUTPUT_NAME)
        .web(true)?
        .typescript(true)
        .debug(false)
        .generate(pkg)
        .with_context(|| format!("cannot generate bindings for {}", input.display()))?;
    let from = pkg.join(format!("{OUTPUT_NAME}_bg.wasm"));
    let to = pkg.join(format!("{OUTPUT_NAME}.wasm"));
    std::fs::rename(&from, &to)
        .with_context(|| format!("cannot rename {} to {}", from.display(), to.display()))
}

/// A tool npm installed (`node_modules/.bin`), or one on the PATH.
fn node_tool(name: &str) -> Result<PathBuf> {
    let local = Path::new("node_modules/.bin").join(name);
    if local.exists() {
        return Ok(local);
    }
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.exists())
        })
        .with_context(|| format!("{name} is not installed: run `npm ci` in the workspace root"))
}

fn wasm_opt(pkg: &Path) -> Result<()> {
    let wasm = pkg.join(format!("{OUTPUT_NAME}.wasm"));
    let mut command = Command::new(node_tool("wasm-opt")?);
    command
        .args([
            "-Oz",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
        ])
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm);
    check(command.status(), "wasm-opt")
}

fn tailwind(release: bool, pkg: &Path) -> Result<()> {
    let mut command = Command::new(node_tool("tailwindcss")?);
    command
        .args(["--input", TAILWIND_INPUT, "--output"])
        .arg(pkg.join(format!("{OUTPUT_NAME}.css")));
    if release {
        command.arg("--minify");
    }
    check(command.status(), "tailwindcss")
}

fn copy_assets(from: &Path, to: &Path) -> Result<()> {
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_assets(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}
