#!/usr/bin/env bash
# Print the path of a working Python 3.10 interpreter (Rasa 3.6 runs only on 3.10).
set -u
for cand in "${PYTHON310:-}" python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python3.10 \
            /usr/local/bin/python3.10 /usr/bin/python3.10; do
  [ -n "$cand" ] || continue
  if path=$(command -v "$cand" 2>/dev/null) && "$path" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    echo "$path"; exit 0
  fi
done
cat >&2 <<'MSG'
Python 3.10 is required for Rasa 3.6 (.venv-rasa) and was not found.
Install it, for example `pyenv install 3.10.13` or `apt-get install python3.10 python3.10-venv`,
or point PYTHON310=/path/to/python3.10 at one.
MSG
exit 1
