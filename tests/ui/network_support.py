"""A plain network picture of any size, for the scene's tests and benchmark (no services):
groups in a ring, their members around them, rivalries between neighbouring groups."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field


@dataclass
class Node:
    key: str
    kind: str
    entity_id: int
    label: str
    group_id: int | None
    colour: object
    reached: bool | None
    size: float
    x: float
    y: float


@dataclass
class Edge:
    a: str
    b: str
    kind: str
    confidence: str = "confirmed"
    weight: float = 1.0


@dataclass
class Picture:
    nodes: list = field(default_factory=list)
    edges: list = field(default_factory=list)


def picture(people: int = 300, groups: int = 10, seed: int = 7) -> Picture:
    rnd = random.Random(seed)
    p = Picture()
    per = max(1, people // groups)
    pid = 0
    for g in range(groups):
        angle = 2 * math.pi * g / groups
        gx, gy = math.cos(angle), math.sin(angle)
        p.nodes.append(Node(f"g:{g + 1}", "group", g + 1, f"Group {g + 1:02d}", g + 1, g + 1,
                            g % 3 == 0, 0.5, gx, gy))
        for m in range(per if g < groups - 1 else people - pid):
            pid += 1
            r = 0.08 + 0.3 * rnd.random()
            a = rnd.random() * 2 * math.pi
            p.nodes.append(Node(f"p:{pid}", "person", pid, f"Person {pid:03d}", g + 1, g + 1,
                                None, rnd.random() ** 3, gx + r * math.cos(a), gy + r * math.sin(a)))
            p.edges.append(Edge(f"p:{pid}", f"g:{g + 1}", "member"))
        p.edges.append(Edge(f"g:{g + 1}", f"g:{(g + 1) % groups + 1}", "rival" if g % 2 else "ally"))
    keys = [n.key for n in p.nodes if n.kind == "person"]
    for _ in range(people):
        a, b = rnd.sample(keys, 2)
        p.edges.append(Edge(a, b, rnd.choice(["co_offending", "associate", "family"])))
    return p
