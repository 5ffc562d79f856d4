"""Build docs/tutorial.md from docs/tutorial.template.md by running every command for real.

    python docs/build_tutorial.py          # writes docs/tutorial.md, runs in a scratch folder

``{{run: CMD}}`` is replaced by the command and its real output; one placeholder needs a value
computed from an earlier step (``{{explain-lowest}}``: the lowest-scoring sanctioned citizen).
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def sh(cmd: str, cwd: Path) -> str:
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1", TERM="dumb")
    p = subprocess.run(shlex.split(cmd), cwd=cwd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(f"command failed: {cmd}\n{p.stderr}")
    return p.stdout.rstrip()


def block(cmd: str, out: str) -> str:
    return f"```console\n$ {cmd}\n{out}\n```" if out else f"```console\n$ {cmd}\n```"


def main(target: Path | None = None, work: Path | None = None) -> None:
    """Write the tutorial to ``target`` (default: docs/tutorial.md), running its commands in
    ``work`` (default: a new scratch folder, kept for a look at the runs)."""
    target = target or HERE / "tutorial.md"
    text = (HERE / "tutorial.template.md").read_text(encoding="utf-8")
    work = Path(work) if work is not None else Path(tempfile.mkdtemp(prefix="scsim-tutorial-"))
    work.mkdir(parents=True, exist_ok=True)
    out = []
    for part in re.split(r"(\{\{[^}]+\}\})", text):
        m = re.fullmatch(r"\{\{run: (.+?)\s*\}\}", part)
        if m:
            cmd = m.group(1)
            res = sh(cmd, work)
            if cmd.startswith("scsim run") and "--quiet" in cmd:
                res = "\n".join(line.replace(str(work) + "/", "") for line in res.splitlines())
            out.append(block(cmd, res))
        elif part == "{{explain-lowest}}":
            cid = sh('scsim query tut/article "select id from citizens where sanctioned order by score limit 1" --json', work)
            cid = re.search(r'"id":(\d+)', cid).group(1)
            cmd = f"scsim explain tut/article --citizen {cid}"
            out.append(block(cmd, sh(cmd, work)))
        else:
            out.append(part)
    target.write_text("".join(out), encoding="utf-8")
    print(f"wrote {target} (scratch runs in {work})")


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
