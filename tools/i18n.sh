#!/usr/bin/env bash
# Extract, update and compile the French catalogues. Each domain keeps its own catalogue in
# <domain>/translations, built from <domain>/ and templates/<domain>/; the kernel's catalogue in
# app/translations covers app/ and the shared templates (base, _form, auth, errors, mail, admin,
# notifications).
#   tools/i18n.sh update [domain...]   extract the msgids and merge them into messages.po
#   tools/i18n.sh compile              compile every messages.po into messages.mo
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
DOMAINS=(app members catalog orders invoicing reports demo)
action=${1:-update}
shift || true
[ $# -gt 0 ] && DOMAINS=("$@")

sources_of() {
  if [ "$1" = app ]; then
    echo "app templates/base.html templates/_form.html templates/_pagination.html templates/accessibility.html templates/auth templates/errors templates/mail templates/admin templates/notifications"
  elif [ "$1" = orders ]; then
    # Campaign modules sit in orders/ but their messages live in the reports catalogue.
    echo "$(find orders -name '*.py' ! -name 'campaign*' | sort) templates/orders"
  elif [ "$1" = reports ]; then
    echo "reports templates/reports $(find orders -name 'campaign*.py' | sort) templates/campaigns"
  else
    local sources="$1"
    [ -d "templates/$1" ] && sources="$sources templates/$1"
    echo "$sources"
  fi
}

# Print the counts of a catalogue and the msgids still to translate. A plural entry counts as
# untranslated while any of its forms is empty: Babel 2.19 gives French three plural forms
# (0 and 1, multiples of a million such as "1 million de lignes", and the rest).
report_catalogue() {
  "$BIN/python" - "$1" <<'PY'
import sys

from babel.messages.pofile import read_po

path = sys.argv[1]
with open(path, "rb") as handle:
    catalog = read_po(handle)
messages = [message for message in catalog if message.id]
untranslated = [
    message.id
    for message in messages
    if not all(message.string if isinstance(message.string, tuple) else (message.string,))
]
fuzzy = [message.id for message in messages if message.fuzzy]
print(f"{path}: {len(messages)} messages, {len(untranslated)} untranslated, {len(fuzzy)} fuzzy")
for msgid in untranslated + fuzzy:
    print(f"  to translate: {msgid!r}")
PY
}

case "$action" in
  update)
    for domain in "${DOMAINS[@]}"; do
      [ -d "$domain" ] || continue
      pot=$(mktemp)
      # shellcheck disable=SC2046
      "$BIN/pybabel" extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -o "$pot" $(sources_of "$domain") 2>/dev/null
      po="$domain/translations/fr/LC_MESSAGES/messages.po"
      if [ -f "$po" ]; then
        "$BIN/pybabel" --quiet update --no-fuzzy-matching -i "$pot" -d "$domain/translations" -l fr >/dev/null
      else
        "$BIN/pybabel" init -i "$pot" -d "$domain/translations" -l fr >/dev/null
      fi
      rm -f "$pot"
      report_catalogue "$po"
    done
    ;;
  compile)
    for po in */translations/fr/LC_MESSAGES/messages.po; do
      "$BIN/pybabel" --quiet compile -d "$(dirname "$(dirname "$(dirname "$po")")")" -l fr
    done
    ;;
  *)
    echo "usage: tools/i18n.sh update [domain...] | compile" >&2
    exit 2
    ;;
esac
