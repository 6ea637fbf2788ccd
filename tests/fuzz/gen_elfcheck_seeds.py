#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_elfcheck (tests/fuzz/corpus/elfcheck):
a minimal but valid ELF64 x86-64 "module" (ELF header, .dynstr, .dynsym,
.data.rel.ro holding bw_module_descriptor with ABI 1.0 and size 88, and
.shstrtab), plus malformed headers. Run from the source tree; the output is
committed, so re-run only to change the seeds. Standard library only."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "elfcheck")


def ehdr(cls=2, shoff=0, shnum=0, shstrndx=0, machine=62):
    ident = b"\x7fELF" + bytes([cls, 1, 1]) + b"\0" * 9
    return ident + struct.pack("<HHIQQQIHHHHHH", 3, machine, 1, 0, 0, shoff, 0,
                               64, 56, 0, 64, shnum, shstrndx)


def shdr(name, typ, flags, addr, off, size, link=0, info=0, align=1, entsize=0):
    return struct.pack("<IIQQQQIIQQ", name, typ, flags, addr, off, size,
                       link, info, align, entsize)


def minimal_module():
    dynstr = b"\0bw_module_descriptor\0"
    shstr = b"\0.dynstr\0.dynsym\0.data.rel.ro\0.shstrtab\0"
    o_dynstr = 64
    o_dynsym = 88
    o_data = o_dynsym + 48
    o_shstr = o_data + 88
    o_sh = (o_shstr + len(shstr) + 7) & ~7
    sym0 = b"\0" * 24
    sym1 = struct.pack("<IBBHQQ", 1, 0x11, 0, 3, o_data, 88)
    desc = struct.pack("<IIII", 1, 0, 88, 0) + b"\0" * 72
    body = ehdr(shoff=o_sh, shnum=5, shstrndx=4)
    body += dynstr.ljust(o_dynsym - o_dynstr, b"\0")
    body += sym0 + sym1 + desc + shstr
    body = body.ljust(o_sh, b"\0")
    body += b"\0" * 64
    body += shdr(1, 3, 2, o_dynstr, o_dynstr, len(dynstr))                  # .dynstr
    body += shdr(9, 11, 2, o_dynsym, o_dynsym, 48, link=1, info=1, align=8, entsize=24)
    body += shdr(17, 1, 3, o_data, o_data, 88, align=8)                      # .data.rel.ro
    body += shdr(30, 3, 0, 0, o_shstr, len(shstr))                          # .shstrtab
    return body


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        "minimal-module.bin": minimal_module(),
        "not-elf.txt": b"#!/bin/sh\necho not a module\n",
        "empty-elf-magic.bin": b"\x7fELF",
        "elf32-header.bin": b"\x7fELF\x01\x01\x01" + b"\0" * 9 +
        struct.pack("<HHIIIIIHHHHHH", 3, 62, 1, 0, 0, 0, 0, 52, 32, 0, 40, 0, 0),
        "elf64-shoff-overflow.bin": ehdr(shoff=0xfffffffffffff000, shnum=4000, shstrndx=3),
        "elf64-dynsym-selflink.bin": ehdr(shoff=64, shnum=2) + b"\0" * 64 +
        shdr(0, 11, 0, 0, 200, 48, link=1, entsize=24) + b"\0" * 64,
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
