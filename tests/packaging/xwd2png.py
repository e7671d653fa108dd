#!/usr/bin/env python3
"""Convert the XWD frame buffer that `Xvfb -fbdir DIR` keeps in DIR/Xvfb_screen0 to a PNG.

Standard library only (no ImageMagick, no xwd on the machine). Handles the TrueColor
24/32-bit layout Xvfb uses. Prints the number of distinct colours, so that a caller can
tell a drawn window from a blank screen.

    xwd2png.py Xvfb_screen0 out.png
"""

import struct
import sys
import zlib


def main(src, dst):
    data = open(src, "rb").read()
    fields = struct.unpack(">25I", data[:100])
    header_size, _version, _format, _depth, width, height = fields[:6]
    byte_order, bits_per_pixel, bytes_per_line = fields[7], fields[11], fields[12]
    red_mask, green_mask, blue_mask = fields[14], fields[15], fields[16]
    ncolors = fields[19]
    if bits_per_pixel != 32:
        sys.exit(f"xwd2png: {bits_per_pixel} bits per pixel not handled")
    start = header_size + 12 * ncolors
    fmt = "<" if byte_order == 0 else ">"

    def shift(mask):
        return (mask & -mask).bit_length() - 1

    rs, gs, bs = shift(red_mask), shift(green_mask), shift(blue_mask)
    rows = []
    colours = set()
    for y in range(height):
        line = data[start + y * bytes_per_line : start + y * bytes_per_line + 4 * width]
        pixels = struct.unpack(f"{fmt}{width}I", line)
        row = bytearray(b"\x00")
        for p in pixels:
            rgb = ((p & red_mask) >> rs, (p & green_mask) >> gs, (p & blue_mask) >> bs)
            row += bytes(rgb)
            if len(colours) < 100_000:
                colours.add(rgb)
        rows.append(bytes(row))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
    png += chunk(b"IEND", b"")
    open(dst, "wb").write(png)
    print(len(colours))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
