"""Writes GIF files byte by byte, including ones no encoder would produce (frames
offset inside or past the logical screen, identity-ramp palettes, truncated or
corrupt LZW data), for the image parity and hostile-input tests and the fuzz seeds.
Python stdlib only."""
import struct

MAX_CODES = 4096  # GIF LZW codes are at most 12 bits


def lzw_encode(indices, min_code_size):
    """GIF's variable-width LZW: a list of (code, width) pairs, starting with a clear code.
    A full table is followed by a clear code (decoders may keep it, encoders usually reset)."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1

    def fresh_table():
        return {bytes([i]): i for i in range(clear)}, clear + 2, min_code_size + 1

    table, next_code, width = fresh_table()
    codes = [(clear, width)]
    prefix = b''
    for index in indices:
        extended = prefix + bytes([index])
        if extended in table:
            prefix = extended
            continue
        codes.append((table[prefix], width))
        if next_code < MAX_CODES:
            table[extended] = next_code
            next_code += 1
        else:
            codes.append((clear, width))
            table, next_code, width = fresh_table()
        prefix = bytes([index])
        # The decoder defines each entry one code later than the encoder, and widens its
        # codes once its table reaches 2^width entries: widen one entry later here.
        if next_code - 1 == (1 << width) and width < 12:
            width += 1
    if prefix:
        codes.append((table[prefix], width))
    codes.append((end, width))
    return codes


def pack(codes):
    """(code, width) pairs packed least significant bit first."""
    bits, count, out = 0, 0, bytearray()
    for code, width in codes:
        bits |= code << count
        count += width
        while count >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            count -= 8
    if count:
        out.append(bits & 0xFF)
    return bytes(out)


def sub_blocks(data):
    """Data as GIF sub-blocks (a length byte, up to 255 bytes), then the terminator."""
    out = bytearray()
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        out.append(len(chunk))
        out += chunk
    out.append(0)
    return bytes(out)


def colour_table(palette):
    """(packed-field bits, table padded to a power of two entries) for RGB triplets."""
    entries = len(palette) // 3
    bits = max(1, (entries - 1).bit_length())
    return 0x80 | (bits - 1), palette + b'\0' * (3 * (1 << bits) - len(palette))


def interlaced_order(rows, height):
    order = list(range(0, height, 8)) + list(range(4, height, 8)) + list(range(2, height, 4)) + list(range(1, height, 2))
    return [value for r in order for value in rows[r]]


def gif(screen_width, screen_height, frames, gct=None, bg=0, version=b'GIF89a'):
    """frames: dicts with x, y, w, h and indices (row-major palette indices), optionally
    lct (local palette bytes), interlace, transparency (index), min_code (LZW minimum code
    size, default 8), codes (explicit (code, width) pairs instead of encoding indices) and
    truncate (keep only this many bytes of LZW data and end the file there)."""
    out = bytearray(version)
    flags = 0
    if gct is not None:
        table_flags, gct = colour_table(gct)
        flags |= table_flags
    out += struct.pack('<HHBBB', screen_width, screen_height, flags, bg, 0)
    if gct is not None:
        out += gct
    for f in frames:
        if f.get('transparency') is not None:  # graphic control extension
            out += b'\x21\xf9\x04\x01' + struct.pack('<H', 0) + bytes([f['transparency']]) + b'\x00'
        frame_flags, lct = 0, f.get('lct')
        if lct is not None:
            table_flags, lct = colour_table(lct)
            frame_flags |= table_flags
        if f.get('interlace'):
            frame_flags |= 0x40
        out += b',' + struct.pack('<HHHHB', f['x'], f['y'], f['w'], f['h'], frame_flags)
        if lct is not None:
            out += lct
        min_code = f.get('min_code', 8)
        out.append(min_code)
        codes = f.get('codes')
        if codes is None:
            indices = f['indices']
            if f.get('interlace'):
                rows = [indices[r * f['w']:(r + 1) * f['w']] for r in range(f['h'])]
                indices = interlaced_order(rows, f['h'])
            codes = lzw_encode(indices, min_code)
        data = pack(codes)
        if f.get('truncate'):
            data = data[:f['truncate']]
            return bytes(out + bytes([len(data)]) + data)
        out += sub_blocks(data)
    out += b';'
    return bytes(out)
