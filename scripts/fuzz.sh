#!/usr/bin/env bash
# Fuzzes each cargo-fuzz target under server/fuzz for a bounded time (default 60 s each; pass
# another number of seconds, and target names to run only those). The corpus grows from
# server/fuzz/seeds/<target>/ into server/fuzz/corpus/<target>/. An input that makes a target
# fail is copied to server/fuzz/regressions/<target>/, which the test suite replays
# (fuzz_regressions tests): commit it with the fix. Prints, per target, the corpus size and the
# executions run. Needs a nightly toolchain (cargo fuzz builds with sanitizers).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(content consent_csv api_body receipt config)

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "error: cargo fuzz needs a nightly toolchain (rustup toolchain install nightly)" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> Installing cargo-fuzz (cargo install --locked cargo-fuzz)"
  cargo install --locked cargo-fuzz
fi

cd server/fuzz
failed=()
summary=()
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "regressions/$target"
  echo "==> Fuzzing $target for ${seconds} s"
  log=$(mktemp)
  if env -u RUSTFLAGS cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
      -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
      2>&1 | tee "$log" | grep -E '^(#[0-9]+\s+(INITED|DONE)|==|SUMMARY|Done )'; then
    :
  fi
  if grep -qE 'ERROR: libFuzzer|panicked at|SUMMARY: (Address|Leak)Sanitizer|deadly signal' "$log"; then
    failed+=("$target")
    for artifact in artifacts/"$target"/*; do
      [ -f "$artifact" ] || continue
      cp "$artifact" "regressions/$target/$(basename "$artifact")"
      echo "    kept $(basename "$artifact") in server/fuzz/regressions/$target/"
    done
  fi
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  corpus=$(find "corpus/$target" -type f | wc -l)
  summary+=("$(printf '%-12s %10s executions, corpus %6s inputs' "$target" "${execs:-?}" "$corpus")")
  rm -f "$log"
done

echo
echo "==> Fuzzing summary (${seconds} s per target)"
printf '    %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "error: failing inputs found for: ${failed[*]} (kept under server/fuzz/regressions/)" >&2
  exit 1
fi
