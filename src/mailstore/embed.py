#!/usr/bin/env python3
"""Build step: turns a data file into a C array (the target map is compiled
into dirgate so an installed program cannot lose it).
usage: embed.py INPUT OUTPUT SYMBOL"""
import sys

src, out, sym = sys.argv[1:4]
data = open(src, "rb").read()
with open(out, "w") as f:
    f.write("/* generated from %s by src/mailstore/embed.py: do not edit */\n"
            "#include <stddef.h>\n" % src.split("/")[-1])
    f.write("const char %s[] = {\n" % sym)
    for i in range(0, len(data), 16):
        f.write("\t" + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",\n")
    f.write("\t0x00\n};\nconst size_t %s_len = %d;\n" % (sym, len(data)))
