fn main() -> std::process::ExitCode {
    countersign::cli::run()
}

// The console allocates many small, short-lived values per request; mimalloc handles that with
// less contention than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
