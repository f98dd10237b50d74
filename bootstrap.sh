#!/usr/bin/env bash
# Set up everything the project needs on Debian (idempotent), then build or test.
#
#   ./bootstrap.sh build   install, then build the website and both PDFs into output/
#   ./bootstrap.sh test    install (with the test tools and Chromium), then run the tests
#
# Installs Debian packages as root (or with sudo), a virtual environment in
# .venv/ and the project into it. Running it again installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")"

action="${1:-}"
case "$action" in
  build|test) ;;
  *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

# Debian packages: Python, WeasyPrint's libraries, the CJK fonts for the Chinese
# PDF, poppler's tools (tests read PDFs back), Chromium for the browser tests,
# Java and npm for the Nu HTML Checker (npm's vnu-jar, pinned in package-lock.json).
packages=(python3 python3-venv python3-pip libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
          fonts-noto-core fonts-noto-cjk)
if [ "$action" = test ]; then
  packages+=(poppler-utils chromium default-jre-headless)
  # Node runs the editors' YAML language server and the Nu HTML Checker's wrapper, which the
  # tests drive (package.json). A node installed otherwise (e.g. NodeSource's, which bundles
  # npm) is used as it is.
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The virtual environment is made from Debian's own python3 (installed above), not
# from whichever python3 comes first on PATH: it is the interpreter a fresh Debian
# machine has, and its optimised, statically linked build rendered the PDFs 10-25 %
# faster in bench/pdf.py than one that loads libpython as a shared library, as
# pyenv's do. A .venv made from another interpreter is made again.
python=/usr/bin/python3
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed" >&2; exit 1; }

extras=""
[ "$action" = test ] && extras="[test]"
stamp=".venv/.installed${extras:+-test}"
if [ -f .venv/pyvenv.cfg ] && ! grep -qx "home = $(dirname "$python")" .venv/pyvenv.cfg; then
  echo "making .venv again from $python"
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last install.
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extras"
  touch "$stamp"
fi

# The npm tools the tests use, exactly as package-lock.json pins them; again only when it changed.
# Their install scripts are skipped: vnu-jar's would download a Java runtime, and Debian's is
# installed above.
if [ "$action" = test ] && { [ ! -f node_modules/.installed ] || [ package-lock.json -nt node_modules/.installed ]; }; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  touch node_modules/.installed
fi

if [ "$action" = build ]; then
  exec .venv/bin/python -m site_builder build
else
  exec .venv/bin/python -m pytest
fi
