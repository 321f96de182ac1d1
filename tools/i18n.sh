#!/usr/bin/env bash
# Extract, update and compile the French catalogues. Each domain keeps its own catalogue in
# <domain>/translations, built from <domain>/ and templates/<domain>/; the kernel's catalogue in
# app/translations covers app/ and the shared templates (base, _form, auth, errors).
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
    echo "app templates/base.html templates/_form.html templates/accessibility.html templates/auth templates/errors"
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
      missing=$(grep -c '^msgstr ""$' "$po" || true)
      echo "$po: $(grep -c '^msgid ' "$po") messages, untranslated entries to check: $missing"
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
