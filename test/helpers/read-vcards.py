"""Reads vCards from stdin with Debian's python3-vobject and prints what it read as JSON, one object per card.

An independent reader for the tests of the site's vCards (src/site/shared/vcard.ts). The input must be
UTF-8: anything else fails here, as it would in an address book.
"""

import json
import sys

import vobject


def values(card, name):
    return [line.value for line in card.contents.get(name, [])]


def read(card):
    n = card.n.value
    return {
        "version": card.version.value,
        "properties": sorted({line.name for line in card.getChildren()}),
        "n": {
            "family": n.family,
            "given": n.given,
            "additional": n.additional,
            "prefix": n.prefix,
            "suffix": n.suffix,
        },
        "fn": card.fn.value,
        "org": values(card, "org"),
        "title": values(card, "title"),
        "email": values(card, "email"),
        "tel": values(card, "tel"),
        "adr": [
            {
                "box": adr.box,
                "extended": adr.extended,
                "street": adr.street,
                "city": adr.city,
                "region": adr.region,
                "code": adr.code,
                "country": adr.country,
            }
            for adr in values(card, "adr")
        ],
        "uid": values(card, "uid"),
    }


text = sys.stdin.buffer.read().decode("utf-8", errors="strict")
json.dump([read(card) for card in vobject.readComponents(text)], sys.stdout, ensure_ascii=False)
