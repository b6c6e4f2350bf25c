# Installs what the build and the tests need, once; each step is skipped when already done.
# Sourced by scripts/demo.sh and scripts/test.sh. Nothing is downloaded from outside the package
# registries (crates.io, npm, Debian).

# Each stage's name and start, for the time report at the end and for naming a failed stage.
STEP_NAMES=()
STEP_STARTS=()

step() {
  printf '\n==> %s\n' "$*"
  STEP_NAMES+=("$*")
  STEP_STARTS+=("$(date +%s)")
}

# How long each stage took (the last one until now).
report_stages() {
  local end i next
  end=$(date +%s)
  [ "${#STEP_NAMES[@]}" -gt 0 ] || return 0
  printf '\n==> Time per stage\n'
  for i in "${!STEP_NAMES[@]}"; do
    next=${STEP_STARTS[$((i + 1))]:-$end}
    printf '%6d s  %s\n' $((next - STEP_STARTS[i])) "${STEP_NAMES[$i]}"
  done
}

# Names the stage that failed, instead of a bare exit code.
report_failed_stage() {
  local code=$?
  if [ "${#STEP_NAMES[@]}" -gt 0 ]; then
    printf '\nerror: the stage "%s" failed (exit code %s); its output is above.\n' \
      "${STEP_NAMES[-1]}" "$code" >&2
  fi
}

as_root() {
  if [ "$(id -u)" = "0" ]; then "$@"; else sudo "$@"; fi
}

# A full build and test run writes about BUILD_DISK_GB of build output under target/ (4.2 GB
# for the debug builds measured on a fresh clone, plus ~3.5 GB for the release build the browser
# tests use); a linker that runs out of disk dies with a bus error that names nothing, so say it
# up front.
BUILD_DISK_GB=9

report_free_disk() {
  local free_gb
  free_gb=$(df -Pk . | awk 'NR == 2 { print int($4 / 1048576) }')
  if [ "$free_gb" -lt "$BUILD_DISK_GB" ]; then
    printf 'warning: %s GB free here; a clean build and test run needs about %s GB under target/\n' \
      "$free_gb" "$BUILD_DISK_GB" >&2
  else
    printf '%s GB free for build output (about %s GB needed from clean)\n' "$free_gb" "$BUILD_DISK_GB"
  fi
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "Installing the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_node_modules() {
  local stamp=node_modules/.countersign-lock
  if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    step "Installing node packages (npm ci)"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
    cp package-lock.json "$stamp"
  fi
  export PATH="$PWD/node_modules/.bin:$PATH"
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    step "Installing Chromium from Debian's packages"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
  fi
}

# Schemathesis (from PyPI) in its own virtual environment under target/, at the pinned version.
SCHEMATHESIS_VENV=target/tools/schemathesis
ensure_schemathesis() {
  local stamp="$SCHEMATHESIS_VENV/.countersign-requirements"
  if [ ! -f "$stamp" ] || ! cmp -s scripts/conformance/requirements.txt "$stamp"; then
    step "Installing schemathesis (pip, into $SCHEMATHESIS_VENV)"
    python3 -m venv "$SCHEMATHESIS_VENV"
    "$SCHEMATHESIS_VENV/bin/pip" install --quiet --disable-pip-version-check \
      -r scripts/conformance/requirements.txt
    cp scripts/conformance/requirements.txt "$stamp"
  fi
}

# compliance-trestle (PyPI), the OSCAL implementation the compliance tests validate the console's
# OSCAL export with; server/tests/suite/compliance.rs finds it at this path.
TRESTLE_VENV=target/tools/trestle
ensure_trestle() {
  local stamp="$TRESTLE_VENV/.countersign-requirements"
  if [ ! -f "$stamp" ] || ! cmp -s scripts/oscal/requirements.txt "$stamp"; then
    step "Installing compliance-trestle (pip, into $TRESTLE_VENV)"
    python3 -m venv "$TRESTLE_VENV"
    "$TRESTLE_VENV/bin/pip" install --quiet --disable-pip-version-check \
      -r scripts/oscal/requirements.txt
    cp scripts/oscal/requirements.txt "$stamp"
  fi
}

# scim2-tester and scim2-client (PyPI), independent SCIM implementations that judge the console's
# SCIM service provider; server/tests/suite/scim_conformance.rs finds them at this path.
SCIM2_VENV=target/tools/scim2
ensure_scim2() {
  local stamp="$SCIM2_VENV/.countersign-requirements"
  if [ ! -f "$stamp" ] || ! cmp -s scripts/scim/requirements.txt "$stamp"; then
    step "Installing scim2-tester and scim2-client (pip, into $SCIM2_VENV)"
    python3 -m venv "$SCIM2_VENV"
    "$SCIM2_VENV/bin/pip" install --quiet --disable-pip-version-check \
      -r scripts/scim/requirements.txt
    cp scripts/scim/requirements.txt "$stamp"
  fi
}

# aiosmtpd and trustme (PyPI): the real SMTP server (with STARTTLS, on a certificate from a test
# authority) the notification tests deliver email to; server/tests/suite/notify.rs finds it here.
SMTP_VENV=target/tools/smtp
ensure_smtp_server() {
  local stamp="$SMTP_VENV/.countersign-requirements"
  if [ ! -f "$stamp" ] || ! cmp -s scripts/smtp/requirements.txt "$stamp"; then
    step "Installing aiosmtpd and trustme (pip, into $SMTP_VENV)"
    python3 -m venv "$SMTP_VENV"
    "$SMTP_VENV/bin/pip" install --quiet --disable-pip-version-check \
      -r scripts/smtp/requirements.txt
    cp scripts/smtp/requirements.txt "$stamp"
  fi
}

# The site is built by `cargo run -p countersign-build` (wasm-bindgen as a library at the
# Cargo.lock version): neither cargo-leptos nor wasm-bindgen-cli is installed. Developers who want
# `cargo leptos watch` install cargo-leptos themselves; [package.metadata.leptos] still serves it.
ensure_build_tools() {
  ensure_wasm_target
  ensure_node_modules
}

# Builds the server, the WebAssembly front end, the CSS and the assets into target/site
# (`--release` for the optimised build).
build_site() {
  env -u RUSTFLAGS cargo run --quiet -p countersign-build -- "$@"
}
