#!/usr/bin/env bash
# Installs the Debian packages the test suite uses, when missing: the openssl and sqlite3 command
# lines (interop and baselines), Python (the PowerShell grammar check) and OpenLDAP's slapd with
# ldap-utils (the JIT directory tests start their own throw-away slapd on a loopback port), and
# aiosmtpd (the notification tests start a real SMTP server with STARTTLS and AUTH on loopback).
set -euo pipefail
need=()
command -v openssl >/dev/null || need+=(openssl)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v python3 >/dev/null || need+=(python3 python3-pip)
{ command -v slapd >/dev/null || [ -x /usr/sbin/slapd ]; } || need+=(slapd)
command -v ldapadd >/dev/null || need+=(ldap-utils)
{ /usr/bin/python3 -c "import aiosmtpd" 2>/dev/null || python3 -c "import aiosmtpd" 2>/dev/null; } || need+=(python3-aiosmtpd)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
