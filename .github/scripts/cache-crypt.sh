#!/usr/bin/env bash
# Encrypts a folder into one file before the nightly workflow hands it to actions/cache or upload-artifact,
# and turns such a file back into a folder after a restore.
#
# Why: anyone who can open a pull request can read this repository's Actions cache, and anyone who can read
# the repository can download its artifacts. The snapshot, the site cache and the downloads hold people's
# names, emails and phone numbers, so they leave the runner only as an OpenPGP file encrypted with AES-256
# under the passphrase in the repository secret QWOTY_CACHE_KEY. gpg is on every GitHub-hosted Ubuntu runner,
# and its symmetric format carries an integrity check: a wrong key or a damaged file makes `decrypt` fail
# before anything is extracted.
#
# Usage: QWOTY_CACHE_KEY=… cache-crypt.sh encrypt <folder> <file.tar.gpg>
#        QWOTY_CACHE_KEY=… cache-crypt.sh decrypt <file.tar.gpg> <folder>
#
# The key is read from the environment and handed to gpg on a file descriptor: never on a command line, where
# any user of the machine could read it in `ps`. Exit codes: 0 done, 1 gpg or tar failed (wrong key, damaged
# file), 2 wrong usage or no key.
set -euo pipefail

usage() {
  echo "Usage: QWOTY_CACHE_KEY=… $0 encrypt <folder> <file.tar.gpg> | decrypt <file.tar.gpg> <folder>" >&2
  exit 2
}
[ $# -eq 3 ] || usage
[ -n "${QWOTY_CACHE_KEY:-}" ] || {
  echo "cache-crypt: QWOTY_CACHE_KEY is empty; set it to the key (in the workflow, the repository secret of that name)." >&2
  exit 2
}

# A throwaway gpg home: nothing is read from or left in the runner's keyrings. gpg starts an agent there
# even for a passphrase; it is stopped on the way out.
home=$(mktemp -d)
partial=""
cleanup() {
  gpgconf --homedir "$home" --kill gpg-agent 2>/dev/null || true
  rm -rf "$home"
  if [ -n "$partial" ]; then rm -f "$partial"; fi
}
trap cleanup EXIT

# printf is a shell builtin, so the key is in no process's arguments; `--no-symkey-cache` keeps the agent
# from remembering it.
run_gpg() {
  gpg --homedir "$home" --batch --yes --quiet --no-symkey-cache --pinentry-mode loopback \
    --passphrase-fd 3 "$@" 3< <(printf '%s' "$QWOTY_CACHE_KEY")
}

case "$1" in
  encrypt)
    folder=$2 file=$3
    [ -d "$folder" ] || { echo "cache-crypt: there is no folder $folder to encrypt." >&2; exit 2; }
    mkdir -p "$(dirname "$file")"
    # Written beside the target and renamed: a failed run never leaves a truncated file to be cached.
    partial="$file.partial"
    tar -C "$folder" -cf - . |
      run_gpg --symmetric --cipher-algo AES256 --s2k-digest-algo SHA512 --output "$partial"
    mv "$partial" "$file"
    partial=""
    echo "cache-crypt: encrypted $folder into $file ($(du -h "$file" | cut -f1))"
    ;;
  decrypt)
    file=$2 folder=$3
    [ -f "$file" ] || { echo "cache-crypt: there is no file $file to decrypt." >&2; exit 2; }
    # Decrypted whole before extracting: gpg checks the integrity only at the end of the data.
    archive="$home/archive.tar"
    if ! run_gpg --decrypt --output "$archive" "$file"; then
      echo "cache-crypt: could not decrypt $file: the key is not the one it was encrypted with, or the file is damaged. Nothing was extracted." >&2
      exit 1
    fi
    mkdir -p "$folder"
    tar -C "$folder" -xf "$archive"
    echo "cache-crypt: decrypted $file into $folder"
    ;;
  *)
    usage
    ;;
esac
