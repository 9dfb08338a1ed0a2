#!/usr/bin/python3
"""Execute Jupyter notebooks through a real kernel (default: Deno's) and summarise them.

Usage (Debian's interpreter, which sees python3-jupyter-client):

    /usr/bin/python3 tools/run-notebooks.py [--kernel deno] [--timeout 300]
        [--summary out.json] [--probe "COMMAND"] [--executed DIR] NOTEBOOK.ipynb...

For each notebook a fresh kernel starts with cwd = the notebook's folder and
this process's environment (so TWEETLAKE_* variables reach the cells). Every
code cell runs in order; the run of a notebook stops at the first cell that
fails (an `error` output, an `error` execute_reply, or the per-cell timeout),
printing the cell index, the head of its source and the traceback.

Deno's kernel can report `idle` about a millisecond before a cell's last
output, so after `idle` this runner keeps reading IOPub until it has been
quiet for --grace seconds (nbclient does not, and silently drops outputs).

Deno's kernel does not fail a cell on an un-awaited rejected promise; with
the deno kernel this runner first installs (silently) an `unhandledrejection`
listener, and after each cell runs a hidden check that fails the cell when a
rejection was recorded (one that fires later is blamed on a later cell).
--no-rejection-check turns this off.

--probe runs a shell command after the last cell while the kernel is still
alive (e.g. a check that the DuckDB file is not locked); a non-zero exit
fails the notebook. Its exit status and output go into the summary.

The JSON summary (--summary) holds, per notebook: path, ok, error, the
notebook's `metadata.tweetlake` object, and per cell its index, source head,
status, elapsed seconds and outputs (type, mime types, heads of the text and
HTML, and which of the tags svg/table/figure/img the HTML or SVG contains).
Exit status: 0 when every notebook ran cleanly, 1 otherwise, 2 on bad usage.
"""

import argparse
import json
import os
import queue
import re
import subprocess
import sys
import time

import nbformat
from jupyter_client.manager import KernelManager

HEAD = 300
TAGS = ("svg", "table", "figure", "img")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def text_of(value):
    """Jupyter mime data may be a string or a list of lines."""
    if isinstance(value, list):
        return "".join(value)
    if isinstance(value, str):
        return value
    return json.dumps(value)


def summarize_output(msg_type, content):
    """A small JSON-able description of one output message."""
    out = {"type": msg_type}
    if msg_type == "stream":
        out["name"] = content.get("name")
        out["text_head"] = content.get("text", "")[:HEAD]
        return out
    if msg_type == "error":
        out["ename"] = content.get("ename")
        out["evalue"] = content.get("evalue")
        out["traceback"] = [ANSI.sub("", line) for line in content.get("traceback", [])]
        return out
    data = content.get("data", {})
    out["mime"] = sorted(data.keys())
    out["text_head"] = text_of(data.get("text/plain", ""))[:HEAD]
    markup = text_of(data.get("text/html", "")) + text_of(data.get("image/svg+xml", ""))
    out["html_head"] = markup[:HEAD]
    out["tags"] = [t for t in TAGS if re.search(r"<" + t + r"[\s>/]", markup, re.I)]
    return out


def to_nbformat_output(msg_type, content):
    """The output as it would be stored in an executed .ipynb."""
    if msg_type == "stream":
        return nbformat.v4.new_output("stream", name=content.get("name"), text=content.get("text"))
    if msg_type == "error":
        return nbformat.v4.new_output(
            "error",
            ename=content.get("ename"),
            evalue=content.get("evalue"),
            traceback=content.get("traceback", []),
        )
    kwargs = {"data": content.get("data", {}), "metadata": content.get("metadata", {})}
    if msg_type == "execute_result":
        kwargs["execution_count"] = content.get("execution_count")
    return nbformat.v4.new_output(msg_type, **kwargs)


def run_cell(km, client, source, timeout, grace):
    """Execute one cell; return (status, outputs, raw nbformat outputs, error text or None)."""
    msg_id = client.execute(source, store_history=True, allow_stdin=False)
    outputs, raw = [], []
    deadline = time.monotonic() + timeout
    idle_at = None
    while True:
        now = time.monotonic()
        if idle_at is not None:
            wait = grace
        else:
            wait = deadline - now
            if wait <= 0:
                return "timeout", outputs, raw, f"cell did not finish within {timeout} s"
        try:
            msg = client.get_iopub_msg(timeout=min(wait, 1.0) if idle_at is None else wait)
        except queue.Empty:
            if idle_at is not None:
                break  # quiet for `grace` seconds after idle: the cell is done
            if not km.is_alive():
                return "error", outputs, raw, "the kernel died while running this cell"
            continue
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["header"]["msg_type"]
        content = msg["content"]
        if kind == "status":
            if content.get("execution_state") == "idle" and idle_at is None:
                idle_at = time.monotonic()
            continue
        if kind in ("stream", "display_data", "execute_result", "error", "update_display_data"):
            outputs.append(summarize_output(kind, content))
            if kind != "update_display_data":
                raw.append(to_nbformat_output(kind, content))
    status, error = "ok", None
    try:
        reply = client.get_shell_msg(timeout=max(1.0, deadline - time.monotonic()))
        while reply.get("parent_header", {}).get("msg_id") != msg_id:
            reply = client.get_shell_msg(timeout=max(1.0, deadline - time.monotonic()))
        if reply["content"].get("status") != "ok":
            status = "error"
            c = reply["content"]
            error = f"{c.get('ename', '')}: {c.get('evalue', '')}".strip(": ")
    except queue.Empty:
        status, error = "error", "no execute_reply from the kernel"
    errors = [o for o in outputs if o["type"] == "error"]
    if errors:
        status = "error"
        e = errors[0]
        error = "\n".join([f"{e.get('ename')}: {e.get('evalue')}"] + e.get("traceback", []))
    if error and "Execution failed" in error and len(error) < 40:
        error += " (Deno's kernel says only this for a syntax error: try `deno task check`)"
    return status, outputs, raw, error


REJECTION_SETUP = """globalThis.__tweetlakeRejections = [];
globalThis.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  const r = e.reason;
  globalThis.__tweetlakeRejections.push(r instanceof Error ? (r.stack ?? String(r)) : String(r));
});"""

REJECTION_CHECK = """{
  const rejections = globalThis.__tweetlakeRejections ?? [];
  if (rejections.length > 0) {
    throw new Error("unhandled promise rejection (missing await?): " + rejections.splice(0).join("\\n"));
  }
}"""


def hidden(client, code, timeout, grace):
    """Run runner-owned code that is not part of the notebook; return an error text or None."""
    msg_id = client.execute(code, silent=False, store_history=False, allow_stdin=False)
    deadline = time.monotonic() + timeout
    error, idle_at = None, None
    while True:
        try:
            msg = client.get_iopub_msg(timeout=grace if idle_at else max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            if idle_at or time.monotonic() > deadline:
                break
            continue
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["header"]["msg_type"], msg["content"]
        if kind == "status" and content.get("execution_state") == "idle":
            idle_at = time.monotonic()
        elif kind == "error":
            error = f"{content.get('ename')}: {content.get('evalue')}"
    try:
        while client.get_shell_msg(timeout=1.0).get("parent_header", {}).get("msg_id") != msg_id:
            pass
    except queue.Empty:
        pass
    return error


def run_notebook(path, args):
    """Run every code cell of one notebook in a fresh kernel; return its summary."""
    nb = nbformat.read(path, as_version=4)
    summary = {
        "path": path,
        "ok": True,
        "error": None,
        "metadata": nb.metadata.get("tweetlake", {}),
        "cells": [],
        "probe": None,
    }
    km = KernelManager(kernel_name=args.kernel)
    km.start_kernel(cwd=os.path.dirname(os.path.abspath(path)), env=os.environ.copy())
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=args.startup_timeout)
        check_rejections = args.kernel.startswith("deno") and not args.no_rejection_check
        if check_rejections:
            setup_error = hidden(client, REJECTION_SETUP, 30, args.grace)
            if setup_error:
                raise RuntimeError(f"rejection listener setup failed: {setup_error}")
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            started = time.monotonic()
            status, outputs, raw, error = run_cell(km, client, cell.source, args.timeout, args.grace)
            if status == "ok" and check_rejections:
                rejection = hidden(client, REJECTION_CHECK, 30, args.grace)
                if rejection:
                    status, error = "error", rejection
            cell.outputs = raw
            summary["cells"].append({
                "index": index,
                "source_head": cell.source[:HEAD],
                "status": status,
                "elapsed_s": round(time.monotonic() - started, 3),
                "outputs": outputs,
            })
            if status != "ok":
                summary["ok"] = False
                summary["error"] = {"cell": index, "source_head": cell.source[:HEAD], "message": error}
                print(f"FAILED {path} cell {index} ({status})", file=sys.stderr)
                print("--- source ---\n" + cell.source[:600], file=sys.stderr)
                print("--- error ---\n" + (error or ""), file=sys.stderr)
                if status == "timeout":
                    km.interrupt_kernel()
                break
        if summary["ok"] and args.probe:
            done = subprocess.run(args.probe, shell=True, capture_output=True, text=True)
            summary["probe"] = {
                "command": args.probe,
                "rc": done.returncode,
                "output": (done.stdout + done.stderr)[-2000:],
            }
            if done.returncode != 0:
                summary["ok"] = False
                summary["error"] = {"cell": None, "source_head": "", "message": "probe failed: "
                                    + summary["probe"]["output"]}
                print(f"FAILED {path}: probe after the last cell exited {done.returncode}\n"
                      + summary["probe"]["output"], file=sys.stderr)
    except RuntimeError as e:  # the kernel did not start / died
        summary["ok"] = False
        summary["error"] = {"cell": None, "source_head": "", "message": f"kernel: {e}"}
        print(f"FAILED {path}: kernel: {e}", file=sys.stderr)
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=False)
    if args.executed:
        os.makedirs(args.executed, exist_ok=True)
        nbformat.write(nb, os.path.join(args.executed, os.path.basename(path)))
    cells = len(summary["cells"])
    print(f"{'ok' if summary['ok'] else 'FAILED'}: {path} ({cells} code cells run)", file=sys.stderr)
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--kernel", default="deno", help="kernelspec name (default: deno)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per cell")
    parser.add_argument("--startup-timeout", type=float, default=60, help="seconds for the kernel to start")
    parser.add_argument("--grace", type=float, default=0.5,
                        help="seconds of IOPub quiet after idle before a cell counts as done")
    parser.add_argument("--no-rejection-check", action="store_true",
                        help="don't fail cells on unhandled promise rejections")
    parser.add_argument("--summary", help="write the JSON summary here")
    parser.add_argument("--probe", help="shell command run after the last cell, kernel still alive")
    parser.add_argument("--executed", help="write the executed notebooks (with outputs) into this folder")
    args = parser.parse_args()
    results = [run_notebook(path, args) for path in args.notebooks]
    if args.summary:
        with open(args.summary, "w", encoding="utf-8") as f:
            json.dump({"notebooks": results}, f, indent=1)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
