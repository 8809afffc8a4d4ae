#!/usr/bin/env python3
"""The functions of one binary that `callgrind` saw run, hottest first, for lld's --symbol-ordering-file.

    order-symbols.py BINARY CALLGRIND_OUT...

Reads each callgrind output (written with --demangle=no), sums each function's own
instruction count over the ones whose object is BINARY, and prints their names, hottest
first, each followed by every other symbol at its address (valgrind reports one name of
several aliases, and lld orders by any of them). Code callgrind could only name by its
address has no symbol to order by and is left out."""
import collections
import os
import re
import subprocess
import sys

binary, outputs = os.path.realpath(sys.argv[1]), sys.argv[2:]
own_cost = collections.Counter()
for path in outputs:
    objects, functions = {}, {}
    current_object = current_function = None
    skip_call_cost = False

    def named(table, text):
        """callgrind names each object and function once, as `(id) name`, then by `(id)` alone."""
        match = re.match(r"\((\d+)\)(?: (.*))?$", text)
        if not match:
            return text
        if match.group(2) is not None:
            table[match.group(1)] = match.group(2)
        return table.get(match.group(1))

    with open(path, errors="replace") as lines:
        for line in lines:
            line = line.rstrip("\n")
            if skip_call_cost:  # the line after `calls=` is the callee's inclusive cost
                skip_call_cost = False
            elif line.startswith("ob="):
                current_object = named(objects, line[3:])
            elif line.startswith("cob="):
                named(objects, line[4:])
            elif line.startswith("fn="):
                current_function = named(functions, line[3:])
            elif line.startswith("cfn="):
                named(functions, line[4:])
            elif line.startswith("calls="):
                skip_call_cost = True
            elif line[:1].isdigit() or line[:1] in "+-*":
                fields = line.split()
                if len(fields) >= 2 and current_function and current_object == binary:
                    own_cost[current_function] += int(fields[1])

addresses, names_at = {}, collections.defaultdict(list)
symbols = subprocess.run(["nm", binary], capture_output=True, text=True, check=True).stdout
for row in symbols.splitlines():
    fields = row.split()
    if len(fields) == 3 and fields[1] in "tTwW":
        address = int(fields[0], 16)
        addresses[fields[2]] = address
        names_at[address].append(fields[2])

printed = set()
for function, _ in own_cost.most_common():
    if function not in addresses:
        continue
    for name in names_at[addresses[function]]:
        if name not in printed:
            printed.add(name)
            print(name)
