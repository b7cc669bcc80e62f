# Sourced by scripts/demo and scripts/test: makes .venv with the project installed.
# Re-installs only when pyproject.toml changed. Usage: bootstrap [extras]
bootstrap() {
  local extras="${1:-}"
  local stamp=".venv/.installed${extras:+-$extras}" want
  want=$(sha256sum pyproject.toml | cut -c1-16)
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "ingestd needs Python 3.11 or newer (python3 is $(python3 --version 2>&1))" >&2
    return 1
  fi
  if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv 2>/dev/null || {
      if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv .venv
      else
        echo "python3 -m venv failed: install the python3-venv package" >&2; return 1
      fi
    }
  fi
  if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    echo "Installing ingestd${extras:+ [$extras]} into .venv ..." >&2
    if ! .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras:+[$extras]}" \
        > .venv/pip.log 2>&1; then
      cat .venv/pip.log >&2; return 1
    fi
    echo "$want" > "$stamp"
  fi
  # byte-compile once: a service user that cannot write __pycache__ (or PYTHONDONTWRITEBYTECODE)
  # would otherwise compile every module on every command
  .venv/bin/python -m compileall -q ingestd >/dev/null || true
}
