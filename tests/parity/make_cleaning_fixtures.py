#!/usr/bin/python3
"""Writes tests/fixtures/cleaning/cases.json: texts and what open_clip's cleaning makes of
them (basic_clean = ftfy.fix_text, html.unescape twice, strip; then whitespace collapse and
lower-casing), or that ClipScope refuses them. An independent statement of
docs/method.md §10.1 in Python, computed with Python's own html.unescape, unicodedata and
str.lower (what open_clip runs on); ftfy is not installable on the build machine, so its
steps are written here from ftfy 6's definitions.

    /usr/bin/python3 tests/parity/make_cleaning_fixtures.py tests/fixtures/cleaning
"""
import html
import json
import os
import random
import re
import sys
import unicodedata

# ---- ftfy 6's character fixes, in its order -------------------------------------------

LIGATURES = {
    "\u0132": "IJ", "\u0133": "ij", "\u0149": "\u02bcn", "\u01f1": "DZ", "\u01f2": "Dz", "\u01f3": "dz",
    "\u01c4": "D\u017d", "\u01c5": "D\u017e", "\u01c6": "d\u017e", "\u01c7": "LJ", "\u01c8": "Lj",
    "\u01c9": "lj", "\u01ca": "NJ", "\u01cb": "Nj", "\u01cc": "nj", "\ufb00": "ff", "\ufb01": "fi",
    "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "\u017ft", "\ufb06": "st",
}
WIDTH = {0x3000: " "}
for cp in range(0xFF01, 0xFFF0):
    if unicodedata.normalize("NFKC", chr(cp)) != chr(cp):
        WIDTH[cp] = unicodedata.normalize("NFKC", chr(cp))
REMOVED = set(range(0x00, 0x09)) | {0x0B} | set(range(0x0E, 0x20)) | {0x7F} | set(range(0x206A, 0x2070)) | {
    0xFEFF} | set(range(0xFFF9, 0xFFFD))
ANSI = re.compile("\x1b\\[((?:\\d|;)*)([a-zA-Z])")

ENTITIES = {}
for name, char in html.entities.html5.items():
    if name.endswith(";"):
        ENTITIES["&" + name] = char
        if name == name.lower() and html.unescape("&" + name.upper()) == "&" + name.upper():
            ENTITIES["&" + name.upper()] = char.upper()
ENTITY_RE = re.compile(r"&#?[0-9A-Za-z]{1,24};")


def ftfy_unescape(text):
    def fix(m):
        t = m.group(0)
        if t in ENTITIES:
            return ENTITIES[t]
        if t.startswith("&#"):
            u = html.unescape(t)
            return t if ";" in u else u
        return t
    return ENTITY_RE.sub(fix, text)


def character_fixes(text):
    text = "".join(LIGATURES.get(c, c) for c in text)
    text = text.translate(WIDTH)
    text = re.sub("[\u02bc\u2018-\u201b]", "'", re.sub("[\u201c-\u201f]", '"', text))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = ANSI.sub("", text)
    text = "".join(c for c in text if ord(c) not in REMOVED)
    return unicodedata.normalize("NFC", text)


# ---- what ClipScope refuses -------------------------------------------------------------

ENCODINGS = [("latin-1", False), ("windows-1252", True), ("windows-1251", True), ("windows-1250", True),
             ("windows-1253", True), ("windows-1254", True), ("windows-1257", True), ("iso-8859-2", False),
             ("macroman", False), ("cp437", False)]


def byte_maps():
    maps = []
    for name, sloppy in ENCODINGS:
        m = {}
        for b in range(0x80, 0x100):
            try:
                m[bytes([b]).decode(name)] = b
            except UnicodeDecodeError:
                m[chr(b)] = b
        if sloppy:
            m["\ufffd"] = 0x1A
        maps.append((m, sloppy))
    return maps


BYTE_MAPS = byte_maps()


class Refused(Exception):
    pass


def utf8_sequence_at(bs, p, whole, space_ok, sloppy):
    lead = bs[p]
    n = 1 if lead == 0xC0 or 0xC2 <= lead <= 0xDF else 2 if 0xE0 <= lead <= 0xEF else 3 if 0xF0 <= lead <= 0xF4 else 0
    if n == 0 or p + n >= len(bs) or (lead == 0xC0 and bs[p + 1] != 0x80):
        return 0
    spaced = False
    for q in range(1, n + 1):
        b = bs[p + q]
        if 0x80 <= b <= 0xBF:
            continue
        if whole and sloppy and b in (0x1A, ord("?")):
            continue
        if n == 1:
            space_here = lead in (0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9)
        elif n == 2:
            space_here = (q == 1 and lead in (0xE2, 0xE3)) or (q == 2 and 0xE0 <= lead <= 0xE2)
        else:
            space_here = lead == 0xF0
        if whole and space_ok and b == 0x20 and space_here and not spaced:
            spaced = True
            continue
        return 0
    return n


def check_mojibake(text):
    if all(ord(c) < 0x80 for c in text):
        return
    if any(0x80 <= ord(c) <= 0x9F for c in text):
        raise Refused("C1 control")
    for (m, sloppy), (name, _) in zip(BYTE_MAPS, ENCODINGS):
        bs = [ord(c) if ord(c) < 0x80 else m.get(c, -1) for c in text]
        if all(b >= 0 for b in bs):  # the whole line re-decoded, with ftfy's stand-ins for lost bytes
            i, valid, multibyte = 0, True, False
            while i < len(bs) and valid:
                if bs[i] < 0x80:
                    i += 1
                    continue
                n = utf8_sequence_at(bs, i, True, name != "macroman", sloppy)
                valid = n > 0
                multibyte = multibyte or valid
                i += n + 1
            if valid and multibyte:
                raise Refused("mojibake (whole text, %s)" % name)
        if name in ("macroman", "cp437"):
            continue
        for p in range(len(bs)):
            if utf8_sequence_at(bs, p, False, False, sloppy):
                raise Refused("mojibake (%s)" % name)


def check_version_dependent(text):
    if any(0x1D173 <= ord(c) <= 0x1D17A or 0xE0000 <= ord(c) <= 0xE007F for c in text):
        raise Refused("version-dependent control")


def ftfy_fix_text(text):
    check_version_dependent(text)

    def loop(t, unescape):
        while True:
            before = t
            if unescape:
                t = ftfy_unescape(t)
            check_version_dependent(t)
            check_mojibake(t)
            t = character_fixes(t)
            if t == before:
                return t

    if "<" not in text:
        return loop(text, True)
    fixed = loop(text, False)
    if ftfy_unescape(fixed) != fixed:
        raise Refused("'<' with entities")
    return fixed


def open_clip_clean(text):
    text = html.unescape(html.unescape(ftfy_fix_text(text))).strip()
    return re.sub(r"\s+", " ", text).strip().lower()


CASES = [
    # plain, whitespace and case
    "a photo of a cat", "  A  Photo\tof\na  CAT  ", "", "   ", "\u00a0nbsp\u3000ideographic\u2003em",
    "lines\u2028and\u2029paragraphs\r\nand\rcr", "İstanbul ÀÉÎÕÜ Σίσυφος ΣΙΣΥΦΟΣ",
    # HTML entities: ftfy's own, then Python's twice
    "Tom &amp; Jerry", "&amp;amp;amp;amp;", "&lt;3", "it&rsquo;s &ldquo;fine&rdquo;", "&NTILDE;and&UUML;",
    "&AMP; &Amp; &aMp;", "a&copy2024", "&notit; &notin; &not", "AT&T &amp", "&#x1F600; &#128512;",
    "x&#0;y&#128;z&#13;w", "&#xD800; &#1114112; &#99999999999999999999;", "&#x; &#; &#65abc;",
    "&#65;&#x42;&#X43;", "&zwnj;join&zwj;", "&nbsp;&nbsp;spaced", "&amp;lt;b&amp;gt;", "&fflig;ish",
    # ligatures, width, quotes
    "ﬁnancial ﬂoor ﬀ ﬃ ﬄ ﬅ ﬆ", "Ĳssel ǆungla ŉ Ǳ ǲ", "ＬＯＵＤ　ｎｏｉｓｅｓ！", "ｶﾀｶﾅ ﾊﾝｶｸ ￡￥",
    "“double” ‘single’ ‛reversed‟ „low‚", "ʼokina Hawaiʻi", "«guillemets» ‹single›",
    # controls and escapes
    "a\x00b\x01c\x7fd", "tab\there\x0bvt\x0cff", "a\x1cb\x1dc\x1ed\x1ff", "bell\x07 and \x1b[1;31mred\x1b[0m text",
    "\ufeffbom at start", "zero\u200bwidth\u2060joiner", "word\u206aformat\ufff9anchor",
    # mixed scripts and composed forms
    "日本語のテキスト", "Привет, мир", "Ελληνικά κείμενα", "עברית ועוד", "हिन्दी पाठ", "한국어 텍스트",
    "emoji 😀👍🏽 flags 🇫🇷", "Cafe\u0301 nai\u0308ve", "naïve café résumé", "Ærøskøbing Œuvre ß",
    "Łódź Čeština Ğş", "ﬁ" * 40,
    # refused: mojibake, C1 controls, versions disagree; and legitimate text the mojibake
    # check also refuses (upper-case Cyrillic and Greek, Turkish Ğ before a space)
    "cafÃ©", "Ã¼ber", "â€œquotedâ€\x9d", "ðŸ˜€ emoji", "Ã  la carte", "a\x85b", "C1\x9d",
    "УКРАЇНІ", "ΣΊΣΥΦΟΣ", "моєї", "<b>&amp;</b>", "<3 &amp; you", "tag\U000E0041s", "&#195;&#169;",
    "He said â€?hi", "&#x1D173;music", "&amp;" * 70 + "x",
    # accepted beside them (MacRoman and cp437 only whole texts; spaces only in whole texts)
    "a < b", "<3 you", "x > y &amp; z", "naïve—café", "café’s", "Ña ñe", "Paris, l’école", "l’été",
    "«à» “Élan”", "a photo of a dog – outdoors", "“Le café” est bon", "a café… and more", "the ≈ 5 km walk",
    "В Москве", "О чём",
]


# Random texts from pieces that meet each rule, for a differential check beyond the cases above.
PIECES = ["&amp;", "&lt;", "&gt;", "&rsquo;", "&NTILDE;", "&copy", "&#65;", "&#x42;", "&#0;", "&#128;", "&#;", "&",
          "#", ";", "<", ">", "ﬁ", "ǆ", "ŉ", "Ａ", "ｶ", "\u3000", "“", "”", "‘", "’", "ʼ", "\x1b[31m", "\x1b", "[",
          "0", "m", "\x00", "\x07", "\x1c", "\x7f", "\ufeff", "\u2028", "\r", "\n", "\t", " ", "é", "e\u0301", "Ã",
          "©", "â", "€", "Ð", "Ñ", "Ψ", "Ж", "ё", "Ї", "日", "😀", "a", "B", "z", "'s", "ß", "İ", "\u00a0", "\ufffd",
          "ǅ", "ﬆ"]


def random_texts(count, seed):
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 8))) for _ in range(count)]


def main():
    out_dir = sys.argv[1]
    cases = []
    for text in CASES + random_texts(600, 7):
        try:
            cases.append({"text": text, "clean": open_clip_clean(text)})
        except Refused as r:
            cases.append({"text": text, "refused": str(r)})
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "cases.json"), "w", encoding="utf-8") as f:
        json.dump({"generated_by": "tests/parity/make_cleaning_fixtures.py", "cases": cases}, f,
                  ensure_ascii=True, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
