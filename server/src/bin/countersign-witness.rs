//! `countersign-witness --name witness.example/w1 --key-file w1.key --state-dir DIR --log VKEY`:
//! a transparency-log witness for Countersign's ledger (or any C2SP log). `--print-key` prints
//! its public key (give it to the console as `COUNTERSIGN_WITNESSES`) and exits.

use clap::Parser;
use countersign_transparency::witness::Cosigner;
use countersign_transparency::VerifierKey;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "countersign-witness",
    about = "A C2SP transparency-log witness"
)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:4200")]
    bind: std::net::SocketAddr,
    /// The witness's name in its cosignatures.
    #[arg(long)]
    name: String,
    /// Its Ed25519 seed (created owner-only if missing).
    #[arg(long)]
    key_file: PathBuf,
    /// Where it remembers each log's last cosigned checkpoint.
    #[arg(long, default_value = "witness-state")]
    state_dir: PathBuf,
    /// A log it vouches for: the log's public key, as `countersign audit key` prints it.
    #[arg(long = "log")]
    logs: Vec<String>,
    /// Print the witness's public key and exit.
    #[arg(long)]
    print_key: bool,
}

fn cosigner(args: &Args) -> Result<Cosigner, String> {
    if args.name.is_empty() || args.name.contains(char::is_whitespace) || args.name.contains('+') {
        return Err("--name: a name without spaces or '+', like witness.example/w1".to_owned());
    }
    match std::fs::read_to_string(&args.key_file) {
        Ok(text) => {
            let seed = hex::decode(text.trim())
                .ok()
                .and_then(|s| <[u8; 32]>::try_from(s.as_slice()).ok())
                .ok_or_else(|| format!("{}: not a witness key", args.key_file.display()))?;
            Ok(Cosigner::new(&args.name, seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let cosigner = Cosigner::generate(&args.name);
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&args.key_file)
                .map_err(|e| format!("cannot create {}: {e}", args.key_file.display()))?;
            file.write_all(format!("{}\n", hex::encode(cosigner.seed())).as_bytes())
                .map_err(|e| e.to_string())?;
            Ok(cosigner)
        }
        Err(e) => Err(format!("cannot read {}: {e}", args.key_file.display())),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let cosigner = match cosigner(&args) {
        Ok(cosigner) => cosigner,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if args.print_key {
        println!("{}", cosigner.verifier());
        return ExitCode::SUCCESS;
    }
    let mut logs = Vec::new();
    for log in &args.logs {
        match VerifierKey::parse(log) {
            Ok(key) => logs.push(key),
            Err(e) => {
                eprintln!("error: --log {log}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let witness = Arc::new(countersign::witness_server::Witness::new(
        cosigner,
        logs,
        args.state_dir.clone(),
    ));
    let listener = match tokio::net::TcpListener::bind(args.bind).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.bind);
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(bind = %args.bind, "witness listening");
    match axum::serve(listener, countersign::witness_server::router(witness)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
