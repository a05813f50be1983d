"""``zpgen cache``: what the adaptation cache holds, and clearing it."""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
from typing import Any

from zpgen import adaptation_cache
from zpgen.commands import print_json

EPILOG = """\
A run without --grid stores its VEGAS maps in the cache and a later run of the same
physics card, seed, VEGAS settings, input files and zpgen release loads them instead of
adapting (the same events). The directory is $ZPGEN_CACHE/grids if ZPGEN_CACHE is set
(ZPGEN_CACHE=off switches the cache off), else $XDG_CACHE_HOME/zpgen/grids or
~/.cache/zpgen/grids. At most 64 grids are kept, the least recently used are deleted.

examples:
  zpgen cache                 the directory, its grids (size, last use) and their total
  zpgen cache --json          the same as JSON
  zpgen cache clear           delete the cached grids (nothing else in the directory)
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "cache", help="show or clear the adaptation cache (VEGAS maps reused between runs)",
        description=__doc__, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", nargs="?", choices=("show", "clear"), default="show",
                   help="show (default) or clear the cached grids")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    directory = adaptation_cache.cache_directory()
    if directory is None:
        doc: dict[str, Any] = {"directory": None, "enabled": False, "entries": []}
        if args.json:
            print_json(doc)
        else:
            print(f"zpgen cache: switched off ({adaptation_cache.ENV}=off): runs adapt "
                  "every time")
        return 0
    if args.action == "clear":
        deleted = adaptation_cache.clear(directory)
        if args.json:
            print_json({"directory": str(directory), "deleted": [str(p) for p in deleted]})
        else:
            print(f"zpgen cache: deleted {len(deleted)} cached grid(s) from {directory}",
                  file=sys.stderr)
        return 0
    rows: list[dict[str, Any]] = []
    for path in adaptation_cache.entries(directory):
        stat = path.stat()
        used = _dt.datetime.fromtimestamp(stat.st_mtime, _dt.UTC)
        rows.append({"path": str(path), "bytes": stat.st_size,
                     "last_used": used.isoformat(timespec="seconds")})
    total = sum(int(r["bytes"]) for r in rows)
    if args.json:
        print_json({"directory": str(directory), "enabled": True, "entries": rows,
                    "total_bytes": total})
        return 0
    print(f"directory   {directory}")
    print(f"grids       {len(rows)} (at most {adaptation_cache.MAX_ENTRIES} kept), "
          f"{total / 1e6:.2f} MB")
    for r in rows:
        print(f"  {r['last_used']}  {r['bytes'] / 1e3:8.1f} kB  {r['path']}")
    return 0
