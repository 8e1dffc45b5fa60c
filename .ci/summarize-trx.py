#!/usr/bin/env python3
"""Summarises the .trx files that `dotnet test` wrote, for .ci/run.

  summarize-trx.py <dir> <framework> <log> <exit code of dotnet test>
      one line per test project, then every failure in full; when dotnet test failed without a failed test (a test
      host crashed or hung, a project wrote no results), the end of its log
  summarize-trx.py --totals <dir>            "passed failed skipped files" over every .trx under <dir>
"""
import pathlib
import sys
import xml.etree.ElementTree as ET


def local(tag):
    return tag.rsplit("}", 1)[-1]


def find(element, name):
    return next((e for e in element.iter() if local(e.tag) == name), None)


def counts(root):
    counters = find(root, "Counters")
    count = lambda name: int(counters.get(name, "0")) if counters is not None else 0
    failed = count("failed") + count("error") + count("timeout") + count("aborted")
    # The trx logger counts a skipped test as neither executed nor "notExecuted": it is the gap between the two.
    return count("passed"), failed, max(count("notExecuted"), count("total") - count("executed"))


def project(root):
    method = find(root, "TestMethod")
    code_base = method.get("codeBase", "") if method is not None else ""
    return pathlib.Path(code_base).stem or "(no tests)"


def failures(root):
    for result in root.iter():
        if local(result.tag) != "UnitTestResult" or result.get("outcome") not in ("Failed", "Error", "Timeout", "Aborted"):
            continue
        message = find(result, "Message")
        stack = find(result, "StackTrace")
        yield result.get("testName"), (message.text if message is not None else ""), (stack.text if stack is not None else "")


def totals(directory):
    passed = failed = skipped = files = 0
    for trx in sorted(pathlib.Path(directory).rglob("*.trx")):
        p, f, s = counts(ET.parse(trx).getroot())
        passed, failed, skipped, files = passed + p, failed + f, skipped + s, files + 1
    print(passed, failed, skipped, files)


def summary(directory, framework, log, status):
    files = sorted(pathlib.Path(directory).rglob("*.trx"))
    shown = []
    for trx in files:
        root = ET.parse(trx).getroot()
        p, f, s = counts(root)
        line = f"{project(root)} ({framework}): {p} passed, {f} failed"
        print(line + (f", {s} skipped" if s else ""))
        shown.extend(failures(root))
    for name, message, stack in shown:
        print(f"\nFAILED {name} ({framework})\n{(message or '').rstrip()}\n{(stack or '').rstrip()}")
    if not files or (status != 0 and not shown):
        text = pathlib.Path(log).read_text(errors="replace") if pathlib.Path(log).exists() else ""
        print(f"\ndotnet test ({framework}) exited with {status}; the end of its log:")
        print("\n".join(text.splitlines()[-80:]))


if __name__ == "__main__":
    if sys.argv[1] == "--totals":
        totals(sys.argv[2])
    else:
        summary(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
