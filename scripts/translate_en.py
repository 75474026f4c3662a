"""Fill the English catalogue from scripts/en_translations/*.json (msgid -> English).

The portal's source strings are Italian (the default language). `make messages` extracts the
msgids and runs this script; add new ones to their app's JSON file in scripts/en_translations/.
It reports any msgid left untranslated, or only guessed by makemessages (fuzzy).
"""

import json
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
TABLES = Path(__file__).with_name("en_translations")


IT_PO = ROOT / "locale" / "it" / "LC_MESSAGES" / "django.po"
IT_TABLES = Path(__file__).parent / "it_translations"


def _fill_italian() -> None:
    """Third-party msgids with no Italian catalogue of their own (django-axes): their Italian
    from scripts/it_translations/*.json (our own msgids are Italian already)."""
    table = {}
    for path in sorted(IT_TABLES.glob("*.json")):
        table.update(json.loads(path.read_text()))
    if not table:
        return
    po = polib.pofile(str(IT_PO))
    for entry in po:
        if not entry.obsolete and entry.msgid in table:
            entry.msgstr = table[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    po.save()
    po.save_as_mofile(str(IT_PO.with_suffix(".mo")))


def main() -> int:
    table = {}
    for path in sorted(TABLES.glob("*.json")):
        table.update(json.loads(path.read_text()))
    po = polib.pofile(str(PO))
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        if entry.msgid in table:
            value = table[entry.msgid]
            if entry.msgid_plural:
                entry.msgstr_plural = {0: value[0], 1: value[1]}
            else:
                entry.msgstr = value
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif "fuzzy" in entry.flags or not (entry.msgstr or any(entry.msgstr_plural.values())):
            # a fuzzy entry is makemessages' guess from a similar msgid (often wrong: "Costi dei
            # clienti" -> "customer type") and is left out of the compiled catalogue
            missing.append(entry.msgid)
    po.save()
    po.save_as_mofile(str(PO.with_suffix(".mo")))
    _fill_italian()
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    print(f"{len(po.translated_entries())} translated, {len(missing)} missing")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
