//! The reference connected system: `countersign-sandbox --bind 127.0.0.1:4100 --data-dir DIR`,
//! with the signing secret in `COUNTERSIGN_SANDBOX_SECRET` (or `--secret`).

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "countersign-sandbox",
    about = "A reference connected system implementing Countersign's connector contract"
)]
struct Args {
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:4100")]
    bind: std::net::SocketAddr,
    /// Where receipts and published versions are kept.
    #[arg(long)]
    data_dir: PathBuf,
    /// The whsec_ signing secret Countersign showed for this system.
    #[arg(long, env = "COUNTERSIGN_SANDBOX_SECRET", hide_env_values = true)]
    secret: String,
    /// Takes this long over every call before applying it: a slow system, to see timeouts,
    /// retries and crash recovery with.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if !args.secret.starts_with("whsec_") {
        eprintln!("error: the secret must be the whsec_ secret Countersign showed for this system");
        return ExitCode::from(2);
    }
    let sandbox = match countersign::sandbox::Sandbox::new(&args.secret, args.data_dir.clone()) {
        Ok(sandbox) => sandbox.with_delay(std::time::Duration::from_millis(args.delay_ms)),
        Err(e) => {
            eprintln!("error: cannot use {}: {e}", args.data_dir.display());
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.bind).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.bind);
            return ExitCode::FAILURE;
        }
    };
    println!("countersign-sandbox listening on http://{}", args.bind);
    match axum::serve(listener, sandbox.router()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
