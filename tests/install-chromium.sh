#!/bin/sh
# The browser tests drive Debian's chromium: a browser build downloaded by a test tool would need
# the internet, which CI machines do not have. Installs it when missing; changes nothing otherwise.
# Elsewhere (macOS, other distributions) install Chromium yourself and set GUIDEPRESS_CHROMIUM.
set -eu
if [ -n "${GUIDEPRESS_CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium: no apt-get here; install Chromium and set GUIDEPRESS_CHROMIUM to its path" >&2
    exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
