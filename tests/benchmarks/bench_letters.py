"""Benchmark: 1,000 personalised letters (embedded fonts, letterhead with a logo, signatures,
marking on every page) into one PDF. Target: under 5 s.

Prints two figures: rendering alone (exports.letters) and the whole service call
(pre-flight, merge, render, one communication and one audit entry per letter, the
file moved into place). Run by hand: .venv/bin/python tests/benchmarks/bench_letters.py
"""
from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PIL import Image, ImageDraw  # noqa: E402

from deterrence_desktop.services.demo import bench_size, create_demo_workspace  # noqa: E402
from deterrence_desktop.services.letters import LetterRequest  # noqa: E402

N = 1000
PASSPHRASE = "benchmark passphrase (fictional data)"


def png(w: int, h: int, colour: str) -> bytes:
    img = Image.new("RGB", (w, h), "white")
    ImageDraw.Draw(img).rectangle([4, 4, w - 4, h - 4], outline=colour, width=6)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        app = create_demo_workspace(tmp / "bench.ddw", PASSPHRASE,
                                    size=bench_size(people=N, actions=5000), today=date(2026, 11, 26))
        print(f"workspace with {N} fictional people made in {time.perf_counter() - t:.1f} s")
        L = app.letters
        L.add_logo("logo", png(400, 160, "darkblue"))
        L.add_signatory("Insp. Avery Demo", "Inspector", 1, png(300, 90, "navy"))
        L.add_signatory("Sam Sampleton", "Head of Probation", 2, png(300, 90, "black"))
        L.templates()   # copies the shipped templates into the workspace
        everyone = tuple(p.id for p in app.people.list())[:N]
        request = LetterRequest("support_offer", source="people", person_ids=everyone)

        # Rendering alone, from the merged letters.
        from deterrence_desktop.exports import letters as pdf
        with app.workspace.session() as s:
            ctx = L._context(s, request)
            merged = [L._letter(ctx, request, p, f"L-2026-{i:06d}") for i, p in enumerate(ctx.people)]
        runs, cpu = [], []
        for _ in range(3):
            t, c = time.perf_counter(), time.process_time()
            pending = pdf.render_letters(tmp / "render.pdf", merged, ctx.letterhead, ctx.images)
            runs.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            pending.commit()
        size = (tmp / "render.pdf").stat().st_size
        print(f"render only: {len(merged)} letters, {pending.pages} pages, {size / 1e6:.1f} MB: "
              f"median {statistics.median(runs):.2f} s wall, {statistics.median(cpu):.2f} s CPU "
              f"(runs {', '.join(f'{r:.2f}' for r in runs)})")

        # The whole service call, as the app and the command line make it.
        t, c = time.perf_counter(), time.process_time()
        result = L.generate(request, tmp / "letters.pdf")
        total, cpu_total = time.perf_counter() - t, time.process_time() - c
        print(f"service generate: {result.letters} letters, {result.pages} pages, recorded and "
              f"audited: {total:.2f} s wall, {cpu_total:.2f} s CPU "
              f"(target < 5 s: {'met' if total < 5 else 'NOT met'}; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        app.close()


if __name__ == "__main__":
    main()
