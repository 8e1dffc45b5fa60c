#!/usr/bin/env python3
"""Summarises a Stryker.NET mutation-report.json: per file, the mutants by status and the score, then every mutant
that survived or had no coverage (file:line, mutator, replacement), so a reader sees what no test checks.

Usage: summarize-mutation.py <mutation-report.json> [--markdown]
Score = (killed + timeout) / (killed + timeout + survived + no coverage), as Stryker computes it; ignored mutants
(Stryker disable comments, ignore-methods) and compile errors are not counted.
"""
import json
import sys

DETECTED = ("Killed", "Timeout")
UNDETECTED = ("Survived", "NoCoverage")


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    markdown = "--markdown" in sys.argv[2:]
    with open(sys.argv[1], encoding="utf-8") as f:
        report = json.load(f)

    rows, missed = [], []
    totals = {"Killed": 0, "Timeout": 0, "Survived": 0, "NoCoverage": 0, "Ignored": 0, "CompileError": 0}
    for path, entry in sorted(report["files"].items()):
        counts = dict.fromkeys(totals, 0)
        for mutant in entry["mutants"]:
            status = mutant["status"]
            counts[status] = counts.get(status, 0) + 1
            if status in UNDETECTED:
                line = mutant["location"]["start"]["line"]
                replacement = (mutant.get("replacement") or "").replace("\n", " ")
                missed.append((short(path), line, status, mutant["mutatorName"], replacement[:90]))
        if not any(counts.get(k, 0) for k in DETECTED + UNDETECTED):
            continue  # a file outside the config's `mutate` list (every mutant ignored) or with nothing tested
        for key in totals:
            totals[key] += counts.get(key, 0)
        rows.append((short(path), counts))

    def score(c):
        valid = sum(c.get(k, 0) for k in DETECTED + UNDETECTED)
        return 100.0 * sum(c.get(k, 0) for k in DETECTED) / valid if valid else float("nan")

    header = ("file", "killed", "timeout", "survived", "no cov.", "ignored", "compile err.", "score")
    lines = [header] + [
        (name, c["Killed"], c["Timeout"], c["Survived"], c["NoCoverage"], c["Ignored"], c["CompileError"], f"{score(c):.1f}%")
        for name, c in rows
    ] + [("TOTAL", totals["Killed"], totals["Timeout"], totals["Survived"], totals["NoCoverage"], totals["Ignored"],
          totals["CompileError"], f"{score(totals):.1f}%")]
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in lines[1:]:
            print("| " + " | ".join(str(x) for x in line) + " |")
    else:
        widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
        for line in lines:
            print("  ".join(str(x).ljust(w) if i == 0 else str(x).rjust(w) for i, (x, w) in enumerate(zip(line, widths))))

    if missed:
        print()
        print("Not detected by any test (file:line status mutator -> replacement):")
        for name, line, status, mutator, replacement in missed:
            print(f"  {name}:{line} {status} {mutator} -> {replacement}")
    return 0


def short(path: str) -> str:
    marker = "/src/"
    return path[path.index(marker) + len(marker):] if marker in path else path


if __name__ == "__main__":
    sys.exit(main())
